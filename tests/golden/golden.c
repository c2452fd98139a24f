/* golden.c: reference model paths and comparisons. */
#include "golden.h"

#include <string.h>

#include "weights/safetensors.h"

GoldenModel *
golden_models (guint *n)
{
  const char *ref = se_test_reference_dir ();
  GoldenModel *m = g_new0 (GoldenModel, 2);
  m[0] = (GoldenModel) { "folder", g_build_filename (ref, "tiny-sd", NULL), NULL, SE_DTYPE_F32, 1e-4 };
  m[1] = (GoldenModel) { "fp16 single file", g_build_filename (ref, "tiny-sd-fp16.safetensors", NULL),
                         g_build_filename (ref, "tiny-sd", "tokenizer", NULL), SE_DTYPE_F16, 1e-2 };
  *n = 2;
  return m;
}

void
golden_models_free (GoldenModel *m, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_free (m[i].path);
    g_free (m[i].tokenizer);
  }
  g_free (m);
}

SeModelFiles *
golden_open (const GoldenModel *gm)
{
  g_autoptr (GError) error = NULL;
  SeModelFiles *m = se_model_files_open (gm->path, gm->tokenizer, &error);
  g_assert_no_error (error);
  return m;
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
