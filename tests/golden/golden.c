/* golden.c: reference model paths and comparisons. */
#include "golden.h"

#include <string.h>

#include "engine.h"
#include "weights/safetensors.h"

int
golden_main (int argc, char **argv, const char *suite, GTestDataFunc test)
{
  g_test_init (&argc, &argv, NULL);
  const char *ref = se_test_reference_dir ();
  GoldenModel m[2] = {
    { "folder", g_build_filename (ref, "tiny-sd", NULL), NULL, SE_DTYPE_F32, 1e-4 },
    { "fp16 single file", g_build_filename (ref, "tiny-sd-fp16.safetensors", NULL),
      g_build_filename (ref, "tiny-sd", "tokenizer", NULL), SE_DTYPE_F16, 1e-2 },
  };
  g_autofree char *a = g_strdup_printf ("/%s/folder", suite);
  g_autofree char *b = g_strdup_printf ("/%s/fp16-single-file", suite);
  g_test_add_data_func (a, &m[0], test);
  g_test_add_data_func (b, &m[1], test);
  int r = g_test_run ();
  for (guint i = 0; i < G_N_ELEMENTS (m); i++) {
    g_free (m[i].path);
    g_free (m[i].tokenizer);
  }
  return r;
}

SeModelFiles *
golden_open (const GoldenModel *gm)
{
  g_autoptr (GError) error = NULL;
  SeModelFiles *m = se_model_files_open (gm->path, gm->tokenizer, &error);
  g_assert_no_error (error);
  return m;
}

double
golden_bound (const GoldenModel *gm, const SeGpu *gpu)
{
  return gpu->fp16_activations ? 3e-3 : gm->bound;
}

double
golden_tap_bound (const GoldenModel *gm, const SeGpu *gpu)
{
  return gpu->fp16_activations ? 1e-2 : gm->bound;
}

SeTensor *
golden_input (SeGpu *gpu, const float *data, guint ndim, const gint64 *shape)
{
  g_autoptr (GError) error = NULL;
  SeTensor *t = se_tensor_new (gpu, ndim, shape, &error);
  g_assert_no_error (error);
  g_assert_true (se_tensor_upload (t, data, &error));
  g_assert_no_error (error);
  return t;
}

float *
golden_read (const char *file, const char *tensor, gsize *numel, gint64 *shape4)
{
  g_autofree char *path = g_build_filename (se_test_reference_dir (), file, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  g_assert_no_error (error);
  const SeSafeTensor *t = se_safetensors_get (f, tensor, &error);
  g_assert_no_error (error);
  float *v = g_new (float, t->numel);
  se_safetensors_read_f32 (f, t, v);
  *numel = t->numel;
  if (shape4) {
    for (guint i = 0; i < 4; i++)
      shape4[i] = i < t->ndim ? t->shape[i] : 0;
  }
  return v;
}

void
golden_compare (const char *what, const SeTensor *t, const float *want, gsize n, double bound)
{
  g_assert_cmpuint (t->numel, ==, n);
  g_autofree double *got = se_test_fetch (t);
  g_autofree double *w = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    w[i] = want[i];
  se_test_assert_close (what, got, w, n, bound);
}

SeSession *
golden_session (SeModel *model, const char *file)
{
  gsize n;
  gint64 s[4];
  g_autofree float *image = golden_read (file, "image", &n, s);
  SeImage img = { (guint) s[3], (guint) s[2], image };
  g_autoptr (GError) error = NULL;
  SeSession *session = se_session_new (model, &img, &error);
  g_assert_no_error (error);
  return session;
}
