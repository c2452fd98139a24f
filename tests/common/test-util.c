/* test-util.c: device set-up, random data, comparisons. */
#include "test-util.h"

#include <math.h>
#include <string.h>

#include "weights/safetensors.h"

SeGpu *
se_test_gpu (void)
{
  g_autoptr (GError) error = NULL;
  SeGpu *gpu = se_gpu_new (NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (gpu);
  /* meson's test environment asks for validation: make sure it is really on */
  const char *validation = g_getenv ("SE_VULKAN_VALIDATION");
  if (validation && *validation && strcmp (validation, "0") != 0)
    g_assert_true (gpu->messenger != VK_NULL_HANDLE);
  return gpu;
}

void
se_test_gpu_done (SeGpu *gpu)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (se_cmd_submit (gpu, &error));
  g_assert_no_error (error);
  int problems = gpu->validation_problems;
  se_gpu_free (gpu);
  g_assert_cmpint (problems, ==, 0);
}

float *
se_test_random (GRand *rand, gsize n, float lo, float hi)
{
  float *v = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rand, lo, hi);
  return v;
}

SeTensor *
se_test_tensor (SeGpu *gpu, const float *data, guint ndim, const gint64 *shape)
{
  g_autoptr (GError) error = NULL;
  SeTensor *t = se_tensor_new_typed (gpu, SE_DTYPE_F32, ndim, shape, &error);
  g_assert_no_error (error);
  g_autofree float *poison = NULL;
  if (data == NULL) {
    poison = g_new (float, t->numel);
    for (gsize i = 0; i < t->numel; i++)
      poison[i] = NAN;
    data = poison;
  }
  g_assert_true (se_tensor_upload (t, data, &error));
  g_assert_no_error (error);
  return t;
}

double *
se_test_fetch (const SeTensor *t)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *f = g_new (float, t->numel);
  g_assert_true (se_tensor_download (t, f, &error));
  g_assert_no_error (error);
  double *d = g_new (double, t->numel);
  for (gsize i = 0; i < t->numel; i++)
    d[i] = f[i];
  return d;
}

double
se_test_rel_error (const double *got, const double *want, gsize n)
{
  double err = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++) {
    if (!isfinite (got[i]))
      return INFINITY;
    err = fmax (err, fabs (got[i] - want[i]));
    scale = fmax (scale, fabs (want[i]));
  }
  return scale > 0.0 ? err / scale : err;
}

void
se_test_assert_close (const char *what, const double *got, const double *want, gsize n,
                      double bound)
{
  double rel = se_test_rel_error (got, want, n);
  g_test_message ("%s: relative error %.3g (bound %.1g)", what, rel, bound);
  if (!(rel <= bound))
    g_error ("%s: relative error %.3g exceeds %.1g", what, rel, bound);
}

const char *
se_test_reference_dir (void)
{
  const char *dir = g_getenv ("SE_REFERENCE_DIR");
  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_error ("the reference data (../shared/reference) is missing: SE_REFERENCE_DIR=%s",
             dir ? dir : "(unset)");
  return dir;
}

static void
run_case (gconstpointer data)
{
  const SeTestCase *c = data;
  SeGpu *gpu = se_test_gpu ();
  c->run (gpu);
  se_test_gpu_done (gpu);
}

int
se_test_run_cases (int argc, char **argv, const char *suite, const SeTestCase *cases, guint n)
{
  g_test_init (&argc, &argv, NULL);
  const char *only = argc > 1 ? argv[1] : NULL;
  for (guint i = 0; i < n; i++) {
    if (only && strcmp (only, cases[i].name) != 0)
      continue;
    g_autofree char *path = g_strdup_printf ("/%s/%s", suite, cases[i].name);
    g_test_add_data_func (path, &cases[i], run_case);
  }
  return g_test_run ();
}

SeRecipe *
se_test_snowy_recipe (guint steps)
{
  SeRecipe *r = se_recipe_new ();
  r->steps = steps;
  r->skip = 1;
  g_free (r->src);
  r->src = g_strdup ("a photo");
  se_recipe_add_concept (r, "snowy");
  return r;
}

double *
se_test_read_doubles (const char *path, const char *name, gsize *numel)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  g_assert_no_error (error);
  const SeSafeTensor *t = se_safetensors_get (f, name, &error);
  g_assert_no_error (error);
  g_autofree float *v = g_new (float, t->numel);
  se_safetensors_read_f32 (f, t, v);
  double *d = g_new (double, t->numel);
  for (gsize i = 0; i < t->numel; i++)
    d[i] = v[i];
  if (numel)
    *numel = t->numel;
  return d;
}

JsonObject *
se_test_ledits_pp_runs (void)
{
  static JsonParser *parser;    /* kept for the test's life */
  if (parser == NULL) {
    g_autofree char *path = g_build_filename (se_test_reference_dir (), "ledits_pp", "ledits_pp_runs.json", NULL);
    g_autoptr (GError) error = NULL;
    parser = json_parser_new ();
    g_assert_true (json_parser_load_from_file (parser, path, &error));
  }
  return json_node_get_object (json_parser_get_root (parser));
}

char *
se_test_nested_json (const char *prefix, guint depth, const char *suffix)
{
  GString *s = g_string_new (prefix);
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append (s, suffix);
  return g_string_free (s, FALSE);
}
