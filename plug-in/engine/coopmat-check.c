/* coopmat-check.c: the coopmat kernels against the reference kernels before
 * their first use on a device (coopmat-check.h). */
#include "coopmat-check.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fault.h"
#include "gpu/pipeline.h"
#include "ops.h"

/* fp16 operands against the reference kernels' fp32 ones move a result by
 * about 1e-3 of the largest; a kernel computing something else by about 1 */
#define CHECK_BOUND 1e-2

typedef enum {
  CHECK_LINEAR,         /* 72 x 40 <- 48, bias and residual */
  CHECK_GEGLU,          /* 72 x 24 <- 48 */
  CHECK_CONV,           /* 3x3, 8 -> 20 channels at 10 x 10, bias and residual */
  CHECK_CONV_STRIDE2,   /* the same to 5 x 5 */
  CHECK_ATTENTION,      /* 40 queries, 77 keys, 2 heads of 40 (blocks do not apply) */
  N_CHECKS
} Check;

static const char *const check_names[N_CHECKS] = { "linear", "GEGLU projection", "3x3 convolution",
                                                   "3x3 convolution, stride 2", "attention" };

/* An fp16 (f16) or fp32 tensor of `shape` filled from rng in [-1, 1]. */
static SeTensor *
random_tensor (SeGpu *gpu, GRand *rng, gboolean f16, guint ndim, const gint64 *shape, GError **error)
{
  g_autoptr (SeTensor) t = se_tensor_new_typed (gpu, f16 ? SE_DTYPE_F16 : SE_DTYPE_F32, ndim, shape, error);
  if (t == NULL)
    return NULL;
  g_autofree float *data = g_new (float, t->numel);
  for (gsize i = 0; i < t->numel; i++)
    data[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
  return se_tensor_upload (t, data, error) ? g_steal_pointer (&t) : NULL;
}

/* Runs one check's operator with the device's current kernels on inputs
 * drawn from a fixed seed; its output in *out (n values). */
static gboolean
run_check (SeGpu *gpu, Check c, float **out, gsize *n, GError **error)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (20261206 + c);
  if (c == CHECK_ATTENTION) {
    g_autoptr (SeTensor) q = random_tensor (gpu, rng, TRUE, 3, (gint64[]) { 1, 40, 80 }, error);
    g_autoptr (SeTensor) k = random_tensor (gpu, rng, TRUE, 3, (gint64[]) { 1, 77, 80 }, error);
    g_autoptr (SeTensor) v = random_tensor (gpu, rng, TRUE, 3, (gint64[]) { 1, 77, 80 }, error);
    g_autoptr (SeTensor) o = v ? se_tensor_new_typed (gpu, SE_DTYPE_F16, 3, (gint64[]) { 1, 40, 80 }, error) : NULL;
    if (o == NULL || !se_op_attention (gpu, q, k, v, 2, FALSE, o, error))
      return FALSE;
    *n = o->numel;
    *out = g_new (float, o->numel);
    return se_tensor_download (o, *out, error);
  }
  gboolean conv = c == CHECK_CONV || c == CHECK_CONV_STRIDE2;
  guint stride = c == CHECK_CONV_STRIDE2 ? 2 : 1;
  gint64 n_out = c == CHECK_GEGLU ? 24 : conv ? 20 : 40;
  gint64 side = 10 / stride;
  g_autoptr (SeTensor) x = conv ? random_tensor (gpu, rng, TRUE, 4, (gint64[]) { 1, 8, 10, 10 }, error)
                                : random_tensor (gpu, rng, TRUE, 2, (gint64[]) { 72, 48 }, error);
  g_autoptr (SeTensor) w = conv ? random_tensor (gpu, rng, TRUE, 4, (gint64[]) { 20, 8, 3, 3 }, error)
                                : random_tensor (gpu, rng, TRUE, 2, (gint64[]) { c == CHECK_GEGLU ? 48 : 40, 48 },
                                                 error);
  g_autoptr (SeTensor) bias = random_tensor (gpu, rng, FALSE, 1, (gint64[]) { c == CHECK_GEGLU ? 48 : n_out },
                                             error);
  const gint64 *out_shape = conv ? (gint64[]) { 1, 20, side, side } : (gint64[]) { 72, n_out };
  guint out_dims = conv ? 4 : 2;
  g_autoptr (SeTensor) residual = random_tensor (gpu, rng, TRUE, out_dims, out_shape, error);
  g_autoptr (SeTensor) y = residual ? se_tensor_new_typed (gpu, SE_DTYPE_F16, out_dims, out_shape, error) : NULL;
  if (y == NULL)
    return FALSE;
  gboolean ok;
  if (c == CHECK_LINEAR) {
    ok = se_op_linear_residual (gpu, x, w, bias, residual, y, error);
  } else if (c == CHECK_GEGLU) {
    ok = se_op_linear_geglu (gpu, x, w, bias, y, error);
  } else {
    SeConvPart part = { .stride = stride, .pad_begin = 1, .pad_end = 1,
                        .residual = c == CHECK_CONV ? residual : NULL };
    ok = se_op_conv2d_part (gpu, x, w, bias, &part, y, error);
  }
  if (!ok)
    return FALSE;
  *n = y->numel;
  *out = g_new (float, y->numel);
  return se_tensor_download (y, *out, error);
}

/* max |got - want| / max |want|; infinite when got is not finite. */
static double
relative_error (const float *got, const float *want, gsize n)
{
  double err = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++) {
    if (!isfinite (got[i]))
      return INFINITY;
    err = MAX (err, fabs ((double) got[i] - want[i]));
    scale = MAX (scale, fabs ((double) want[i]));
  }
  return scale > 0.0 ? err / scale : err;
}

/* Every check in every block shape; *verdict: NULL when all agree, else
 * what disagreed. */
static gboolean
compare_kernels (SeGpu *gpu, char **verdict, GError **error)
{
  *verdict = NULL;
  guint block = gpu->coopmat_block;
  gboolean ok = TRUE;
  for (Check c = 0; c < N_CHECKS && ok && *verdict == NULL; c++) {
    g_autofree float *want = NULL;
    gsize n = 0;
    gpu->kernels = SE_KERNELS_REFERENCE;
    ok = run_check (gpu, c, &want, &n, error);
    gpu->kernels = SE_KERNELS_COOPMAT;
    guint blocks = c == CHECK_ATTENTION ? 1 : SE_COOPMAT_BLOCKS;
    for (guint b = 0; b < blocks && ok && *verdict == NULL; b++) {
      g_autofree float *got = NULL;
      gpu->coopmat_block = b;
      ok = run_check (gpu, c, &got, &n, error);
      double err = ok ? relative_error (got, want, n) : 0.0;
      if (ok && se_fault_coopmat_check ())
        err = INFINITY;
      if (ok && !(err <= CHECK_BOUND))
        *verdict = c == CHECK_ATTENTION ? g_strdup_printf ("%s: relative error %g", check_names[c], err)
                                        : g_strdup_printf ("%s, block %u: relative error %g", check_names[c], b, err);
    }
  }
  gpu->coopmat_block = block;
  return ok;
}

static const char *
kind_name (SeCoopmat kind)
{
  return kind == SE_COOPMAT_KHR ? "khr" : kind == SE_COOPMAT_NV ? "nv" : "emulated";
}

/* Where the verdict for this device, driver and build of the kernels is. */
static char *
verdict_path (SeGpu *gpu)
{
  /* the coopmat families come last in shaders/meson.build */
  g_autofree char *code = se_pipelines_code_checksum (SE_SHADER_MATMUL_CM, SE_SHADER_COUNT - 1);
  g_autofree char *driver = se_gpu_driver_key (gpu);
  g_autofree char *name = g_strdup_printf ("%s-%s-%.16s", driver, kind_name (gpu->coopmat), code);
  return g_build_filename (g_get_user_cache_dir (), "semantic-edit", "coopmat-check", name, NULL);
}

static void
turn_off (SeGpu *gpu, const char *why)
{
  gpu->kernels = SE_KERNELS_TILED;
  g_message (_("The tensor-core kernels disagree with the reference kernels on %s (%s): using the tiled kernels"),
             gpu->info.name, why);
}

gboolean
se_coopmat_check (SeGpu *gpu, GError **error)
{
  if (gpu->kernels != SE_KERNELS_COOPMAT)
    return TRUE;
  g_autofree char *path = verdict_path (gpu);
  g_autofree char *saved = NULL;
  if (g_file_get_contents (path, &saved, NULL, NULL)) {
    if (g_str_has_prefix (saved, "ok\n"))
      return TRUE;
    if (g_str_has_prefix (saved, "off: ")) {
      g_strchomp (saved);
      turn_off (gpu, saved + 5);
      return TRUE;
    }
  }
  g_autofree char *verdict = NULL;
  if (!compare_kernels (gpu, &verdict, error))
    return FALSE;
  if (verdict)
    turn_off (gpu, verdict);
  /* the cache is an optimisation: a folder that cannot be written only
   * means the check runs again next time */
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = verdict ? g_strdup_printf ("off: %s\n", verdict) : g_strdup ("ok\n");
  g_autoptr (GError) save_error = NULL;
  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_file_set_contents (path, text, -1, &save_error))
    g_debug ("the coopmat verdict was not saved in %s: %s", dir,
             save_error ? save_error->message : g_strerror (errno));
  return TRUE;
}
