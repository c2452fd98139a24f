/* bench_ops.c: per-operator throughput at Stable Diffusion 1.5 shapes.
 *
 * Not a pass/fail test: prints milliseconds per call and GFLOP/s for the
 * shapes that dominate a 512x512 UNet step, with each kernel family the
 * device can run (the reference kernels, then the subgroup and tiled
 * kernels, see SeKernels) on the same problem, and their ratio to the
 * reference; then the coopmat family with fp16 activations (its only
 * kind), once per block shape ("coopmat/0" ..., the tuning sweep's rows:
 * tests/bench/tuning.py) and with the block it picks itself.  Each
 * operator runs once
 * to build its pipeline, then repeatedly (one submission per call) for about
 * --seconds.  Weights are fp16 where the networks keep them so (the first
 * tensor marked "w16"); 3x3 kernels are packed for the subgroup kernels as
 * the networks pack them.  SE_VULKAN_DEVICE picks the device; --profile adds
 * the GPU timestamp breakdown; --json writes the rows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench-report.h"
#include "ops.h"

typedef struct {
  const char *name;
  double gflop;                 /* work per call */
  gboolean (*run) (SeGpu *gpu, SeTensor **t, GError **error);
  gint64 shapes[6][4];          /* tensors the call uses; unused rows are zero */
  int weight;                   /* index of an fp16 weight tensor, or -1 */
} Bench;

/* What a coopmat tuning rule (gpu/tuning.h) of the bench's op sees: its op
 * and its output count (the last tensor's elements), or NULL for the ops
 * no rule covers. */
static const char *
tuning_op (const Bench *b)
{
  if (strstr (b->name, "conv2d 3x3"))
    return "conv";
  if (strstr (b->name, "conv2d 1x1") || strstr (b->name, "linear"))
    return "gemm";
  return NULL;
}

static gboolean
run_conv3x3 (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_conv2d (gpu, t[0], t[1], t[2], 1, 1, t[3], error);
}

static gboolean
run_conv1x1 (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_conv2d (gpu, t[0], t[1], t[2], 1, 0, t[3], error);
}

static gboolean
run_linear (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_linear (gpu, t[0], t[1], t[2], t[3], error);
}

static gboolean
run_attention (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_attention (gpu, t[0], t[1], t[2], 8, FALSE, t[3], error);
}

static gboolean
run_group_norm (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_group_norm (gpu, t[0], t[1], t[2], 32, 1e-5f, TRUE, t[3], error);
}

static gboolean
run_layer_norm (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_layer_norm (gpu, t[0], t[1], t[2], 1e-5f, t[3], error);
}

static gboolean
run_geglu (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_geglu (gpu, t[0], t[1], error);
}

static gboolean
run_linear_geglu (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_linear_geglu (gpu, t[0], t[1], t[2], t[3], error);
}

static const Bench benches[] = {
  { "conv2d 3x3 320->320 @64x64", 2.0 * 320 * 320 * 9 * 64 * 64 / 1e9, run_conv3x3,
    { { 1, 320, 64, 64 }, { 320, 320, 3, 3 }, { 320 }, { 1, 320, 64, 64 } }, -1 },
  { "conv2d 3x3 320->320 @64x64, fp16 w", 2.0 * 320 * 320 * 9 * 64 * 64 / 1e9, run_conv3x3,
    { { 1, 320, 64, 64 }, { 320, 320, 3, 3 }, { 320 }, { 1, 320, 64, 64 } }, 1 },
  { "conv2d 3x3 1280->1280 @8x8, fp16 w", 2.0 * 1280 * 1280 * 9 * 8 * 8 / 1e9, run_conv3x3,
    { { 1, 1280, 8, 8 }, { 1280, 1280, 3, 3 }, { 1280 }, { 1, 1280, 8, 8 } }, 1 },
  { "conv2d 3x3 128->128 @256x256, fp16 w", 2.0 * 128 * 128 * 9 * 256 * 256 / 1e9, run_conv3x3,
    { { 1, 128, 256, 256 }, { 128, 128, 3, 3 }, { 128 }, { 1, 128, 256, 256 } }, 1 },
  { "conv2d 3x3 640->640 @32x32, fp16 w", 2.0 * 640 * 640 * 9 * 32 * 32 / 1e9, run_conv3x3,
    { { 1, 640, 32, 32 }, { 640, 640, 3, 3 }, { 640 }, { 1, 640, 32, 32 } }, 1 },
  { "conv2d 3x3 1280->1280 @16x16, fp16 w", 2.0 * 1280 * 1280 * 9 * 16 * 16 / 1e9, run_conv3x3,
    { { 1, 1280, 16, 16 }, { 1280, 1280, 3, 3 }, { 1280 }, { 1, 1280, 16, 16 } }, 1 },
  { "conv2d 1x1 640->320 @32x32, fp16 w", 2.0 * 640 * 320 * 32 * 32 / 1e9, run_conv1x1,
    { { 1, 640, 32, 32 }, { 320, 640, 1, 1 }, { 320 }, { 1, 320, 32, 32 } }, 1 },
  { "linear 4096x320 -> 2560 (GEGLU proj)", 2.0 * 4096 * 320 * 2560 / 1e9, run_linear,
    { { 4096, 320 }, { 2560, 320 }, { 2560 }, { 4096, 2560 } }, -1 },
  { "linear 4096x320 -> 320, fp16 w", 2.0 * 4096 * 320 * 320 / 1e9, run_linear,
    { { 4096, 320 }, { 320, 320 }, { 320 }, { 4096, 320 } }, 1 },
  { "linear 1024x640 -> 640, fp16 w", 2.0 * 1024 * 640 * 640 / 1e9, run_linear,
    { { 1024, 640 }, { 640, 640 }, { 640 }, { 1024, 640 } }, 1 },
  { "linear 256x1280 -> 1280, fp16 w", 2.0 * 256 * 1280 * 1280 / 1e9, run_linear,
    { { 256, 1280 }, { 1280, 1280 }, { 1280 }, { 256, 1280 } }, 1 },
  { "linear 77x768 -> 320 (context K/V), fp16 w", 2.0 * 77 * 768 * 320 / 1e9, run_linear,
    { { 77, 768 }, { 320, 768 }, { 320 }, { 77, 320 } }, 1 },
  { "linear+GEGLU 4096x320 -> 1280, fp16 w", 2.0 * 4096 * 320 * 2560 / 1e9, run_linear_geglu,
    { { 4096, 320 }, { 2560, 320 }, { 2560 }, { 4096, 1280 } }, 1 },
  { "self-attention 4096 tokens, 8 heads x 40", 4.0 * 4096 * 4096 * 320 / 1e9, run_attention,
    { { 1, 4096, 320 }, { 1, 4096, 320 }, { 1, 4096, 320 }, { 1, 4096, 320 } }, -1 },
  { "cross-attention 4096 x 77, 8 heads x 40", 4.0 * 4096 * 77 * 320 / 1e9, run_attention,
    { { 1, 4096, 320 }, { 1, 77, 320 }, { 1, 77, 320 }, { 1, 4096, 320 } }, -1 },
  { "self-attention 256 tokens, 8 heads x 160", 4.0 * 256 * 256 * 1280 / 1e9, run_attention,
    { { 2, 256, 1280 }, { 2, 256, 1280 }, { 2, 256, 1280 }, { 2, 256, 1280 } }, -1 },
  { "group_norm+silu 320 @64x64", 8.0 * 320 * 64 * 64 / 1e9, run_group_norm,
    { { 1, 320, 64, 64 }, { 320 }, { 320 }, { 1, 320, 64, 64 } }, -1 },
  { "layer_norm 4096 x 320", 8.0 * 4096 * 320 / 1e9, run_layer_norm,
    { { 4096, 320 }, { 320 }, { 320 }, { 4096, 320 } }, -1 },
  { "geglu 4096 x 1280", 20.0 * 4096 * 1280 / 1e9, run_geglu,
    { { 4096, 2560 }, { 4096, 1280 } }, -1 },
};

static guint
tensor_dims (const gint64 *shape)
{
  guint n = 0;
  while (n < 4 && shape[n] > 0)
    n++;
  return n;
}

/* The bench's tensors with seeded values, its weight in fp16 where marked,
 * a 3x3 kernel packed when the subgroup kernels run; with act16 the
 * activations fp16 too (not the 1-D parameters: biases, norm weights). */
static gboolean
make_tensors (SeGpu *gpu, const Bench *bench, GRand *rng, gboolean act16, SeTensor **t, GError **error)
{
  for (guint i = 0; i < 6 && tensor_dims (bench->shapes[i]); i++) {
    gboolean activation = tensor_dims (bench->shapes[i]) > 1 && (int) i != bench->weight;
    SeDType dtype = (int) i == bench->weight || (act16 && activation) ? SE_DTYPE_F16 : SE_DTYPE_F32;
    const gint64 *shape = bench->shapes[i];
    guint ndim = tensor_dims (shape);
    gsize n = 1;
    for (guint d = 0; d < ndim; d++)
      n *= (gsize) shape[d];
    g_autofree float *data = g_new (float, n);
    for (gsize k = 0; k < n; k++)
      data[k] = (float) g_rand_double_range (rng, -1, 1);
    if (i == 1 && ndim == 4 && shape[2] == 3 && se_conv3x3_prefers_packed (gpu)) {
      t[i] = se_tensor_new_packed_3x3_f32 (gpu, dtype, shape[0], shape[1], data, error);
      if (t[i] == NULL)
        return FALSE;
      continue;
    }
    t[i] = se_tensor_new_typed (gpu, dtype, ndim, shape, error);
    if (t[i] == NULL || !se_tensor_upload (t[i], data, error))
      return FALSE;
  }
  return TRUE;
}

/* Milliseconds per call, or a negative value with error set. */
static double
measure (SeGpu *gpu, const Bench *bench, GRand *rng, gboolean act16, double seconds, int *calls, GError **error)
{
  SeTensor *t[6] = { 0 };
  gint64 elapsed = 0;
  *calls = 0;
  if (make_tensors (gpu, bench, rng, act16, t, error) && bench->run (gpu, t, error) && se_cmd_submit (gpu, error)) {
    se_cmd_profile_reset (gpu);
    gint64 start = g_get_monotonic_time ();
    do {
      if (!bench->run (gpu, t, error) || !se_cmd_submit (gpu, error))
        break;
      (*calls)++;
      elapsed = g_get_monotonic_time () - start;
    } while (elapsed < seconds * 1e6);
  }
  for (guint i = 0; i < 6; i++)
    se_tensor_free (t[i]);
  return error && *error ? -1.0 : elapsed / 1e3 / *calls;
}

int
main (int argc, char **argv)
{
  double seconds = 1.0;
  gboolean profile = FALSE;
  const char *only = NULL, *json = NULL;
  GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Time to spend per operator and kernel family", "S" },
    { "profile", 'p', 0, G_OPTION_ARG_NONE, &profile, "Print GPU timestamps per operator kind", NULL },
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run only benches whose name contains TEXT", "TEXT" },
    { "json", 'j', 0, G_OPTION_ARG_FILENAME, &json, "Also write the results to FILE as JSON", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- operator throughput at SD 1.5 shapes");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  SeGpuOptions opts = { .profile = profile };
  g_autoptr (SeGpu) gpu = se_gpu_new (&opts, &error);
  if (gpu == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("device: %s (fp16 %s, coopmat nv %s, khr %s, subgroup %u)\n", gpu->info.name,
          gpu->info.shader_float16 ? "yes" : "no", gpu->info.coopmat_nv ? "yes" : "no",
          gpu->info.coopmat_khr ? "yes" : "no", gpu->info.subgroup_size);
  printf ("%-42s %-10s %10s %10s %6s %7s\n", "operator", "kernels", "ms/call", "GFLOP/s", "calls", "ratio");
  g_autoptr (BenchReport) report = bench_report_new ("bench-ops", gpu->info.name);
  /* what a tuning table made from these rows is matched by (gpu/tuning.h) */
  g_autofree char *driver = g_strdup_printf ("0x%x", gpu->info.driver_version);
  bench_report_set (report, "driver", driver);
  /* the reference family first: every other's ratio is against it; the
   * coopmat rows last, one per block then its own choice (G_MAXUINT) */
  SeKernels families[4 + SE_COOPMAT_BLOCKS] = { SE_KERNELS_REFERENCE };
  const char *family_names[4 + SE_COOPMAT_BLOCKS] = { "reference" };
  guint blocks[4 + SE_COOPMAT_BLOCKS] = { G_MAXUINT, G_MAXUINT, G_MAXUINT };
  guint n_families = 1;
  if (se_gpu_subgroup_kernels_usable (gpu)) {
    families[n_families] = SE_KERNELS_SUBGROUP;
    family_names[n_families++] = "subgroup";
  }
  if (se_gpu_tiled_kernels_usable (gpu)) {
    families[n_families] = SE_KERNELS_TILED;
    family_names[n_families++] = "tiled";
  }
  static const char *const coopmat_names[SE_COOPMAT_BLOCKS + 1] = { "coopmat/0", "coopmat/1", "coopmat/2", "coopmat" };
  G_STATIC_ASSERT (SE_COOPMAT_BLOCKS == 3);
  for (guint b = 0; se_gpu_coopmat_kernels_usable (gpu) && b <= SE_COOPMAT_BLOCKS; b++) {
    families[n_families] = SE_KERNELS_COOPMAT;
    blocks[n_families] = b < SE_COOPMAT_BLOCKS ? b : G_MAXUINT;
    family_names[n_families++] = coopmat_names[b];
  }

  GRand *rng = g_rand_new_with_seed (1);
  for (guint b = 0; b < G_N_ELEMENTS (benches); b++) {
    const Bench *bench = &benches[b];
    if (only && !strstr (bench->name, only))
      continue;
    double reference_ms = 0.0;
    for (guint f = 0; f < n_families; f++) {
      gpu->kernels = families[f];
      gpu->coopmat_block = blocks[f];
      int calls;
      double ms = measure (gpu, bench, rng, families[f] == SE_KERNELS_COOPMAT, seconds, &calls, &error);
      if (ms < 0) {
        g_printerr ("%s (%s kernels): %s\n", bench->name, family_names[f], error->message);
        return 1;
      }
      if (f == 0)
        reference_ms = ms;
      printf ("%-42s %-10s %10.3f %10.2f %6d %6.2fx\n", bench->name, family_names[f], ms,
              bench->gflop / (ms / 1e3), calls, reference_ms / ms);
      fflush (stdout);
      /* outputs: the output tensor's elements (GEGLU: both halves, as the
       * engine counts them) */
      guint last = 0;
      while (last + 1 < 6 && tensor_dims (bench->shapes[last + 1]))
        last++;
      double outputs = 1.0;
      for (guint d = 0; d < tensor_dims (bench->shapes[last]); d++)
        outputs *= (double) bench->shapes[last][d];
      if (bench->run == run_linear_geglu)
        outputs *= 2;
      bench_report_row (report, bench->name, "ms", ms, "gflops", bench->gflop / (ms / 1e3),
                        "speedup_over_reference", reference_ms / ms, "outputs", outputs, NULL);
      bench_report_note (report, "kernels", family_names[f]);
      if (tuning_op (bench))
        bench_report_note (report, "op", tuning_op (bench));
      g_autofree char *prof = se_cmd_profile_report (gpu);
      if (prof)
        printf ("%s", prof);
    }
  }
  g_rand_free (rng);
  if (!bench_report_write (report, json, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  return 0;
}
