/* bench_ops.c: per-operator throughput at Stable Diffusion 1.5 shapes.
 *
 * Not a pass/fail test: prints milliseconds per call and GFLOP/s for the
 * shapes that dominate a 512x512 UNet step, so performance work has a
 * baseline.  Each operator runs once to build its pipeline, then repeatedly
 * (one submission per call) for about --seconds.  SE_VULKAN_DEVICE picks the
 * device; --profile adds the GPU timestamp breakdown. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

typedef struct {
  const char *name;
  double gflop;                 /* work per call */
  gboolean (*run) (SeGpu *gpu, SeTensor **t, GError **error);
  gint64 shapes[6][4];          /* tensors the call uses; unused rows are zero */
} Bench;

static gboolean
run_conv3x3 (SeGpu *gpu, SeTensor **t, GError **error)
{
  return se_op_conv2d (gpu, t[0], t[1], t[2], 1, 1, t[3], error);
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

static const Bench benches[] = {
  { "conv2d 3x3 320->320 @64x64", 2.0 * 320 * 320 * 9 * 64 * 64 / 1e9, run_conv3x3,
    { { 1, 320, 64, 64 }, { 320, 320, 3, 3 }, { 320 }, { 1, 320, 64, 64 } } },
  { "conv2d 3x3 1280->1280 @8x8", 2.0 * 1280 * 1280 * 9 * 8 * 8 / 1e9, run_conv3x3,
    { { 1, 1280, 8, 8 }, { 1280, 1280, 3, 3 }, { 1280 }, { 1, 1280, 8, 8 } } },
  { "linear 4096x320 -> 2560 (GEGLU proj)", 2.0 * 4096 * 320 * 2560 / 1e9, run_linear,
    { { 4096, 320 }, { 2560, 320 }, { 2560 }, { 4096, 2560 } } },
  { "self-attention 4096 tokens, 8 heads x 40", 4.0 * 4096 * 4096 * 320 / 1e9, run_attention,
    { { 1, 4096, 320 }, { 1, 4096, 320 }, { 1, 4096, 320 }, { 1, 4096, 320 } } },
  { "cross-attention 4096 x 77, 8 heads x 40", 4.0 * 4096 * 77 * 320 / 1e9, run_attention,
    { { 1, 4096, 320 }, { 1, 77, 320 }, { 1, 77, 320 }, { 1, 4096, 320 } } },
  { "group_norm+silu 320 @64x64", 8.0 * 320 * 64 * 64 / 1e9, run_group_norm,
    { { 1, 320, 64, 64 }, { 320 }, { 320 }, { 1, 320, 64, 64 } } },
  { "layer_norm 4096 x 320", 8.0 * 4096 * 320 / 1e9, run_layer_norm,
    { { 4096, 320 }, { 320 }, { 320 }, { 4096, 320 } } },
  { "geglu 4096 x 1280", 20.0 * 4096 * 1280 / 1e9, run_geglu,
    { { 4096, 2560 }, { 4096, 1280 } } },
};

static guint
tensor_dims (const gint64 *shape)
{
  guint n = 0;
  while (n < 4 && shape[n] > 0)
    n++;
  return n;
}

int
main (int argc, char **argv)
{
  double seconds = 1.0;
  gboolean profile = FALSE;
  const char *only = NULL;
  GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "Time to spend per operator", "S" },
    { "profile", 'p', 0, G_OPTION_ARG_NONE, &profile, "Print GPU timestamps per operator kind", NULL },
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run only benches whose name contains TEXT", "TEXT" },
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
  printf ("device: %s (fp16 %s, coopmat %s)\n", gpu->info.name,
          gpu->info.shader_float16 ? "yes" : "no", gpu->info.coopmat_nv ? "yes" : "no");
  printf ("%-42s %10s %10s %6s\n", "operator", "ms/call", "GFLOP/s", "calls");

  GRand *rng = g_rand_new_with_seed (1);
  for (guint b = 0; b < G_N_ELEMENTS (benches); b++) {
    const Bench *bench = &benches[b];
    if (only && !strstr (bench->name, only))
      continue;
    SeTensor *t[6] = { 0 };
    for (guint i = 0; i < 6 && tensor_dims (bench->shapes[i]); i++) {
      t[i] = se_tensor_new (gpu, tensor_dims (bench->shapes[i]), bench->shapes[i], &error);
      if (t[i] == NULL)
        break;
      g_autofree float *data = g_new (float, t[i]->numel);
      for (gsize k = 0; k < t[i]->numel; k++)
        data[k] = (float) g_rand_double_range (rng, -1, 1);
      if (!se_tensor_upload (t[i], data, &error))
        break;
    }
    int calls = 0;
    gint64 start = 0, elapsed = 0;
    if (error == NULL && bench->run (gpu, t, &error) && se_cmd_submit (gpu, &error)) {
      se_cmd_profile_reset (gpu);
      start = g_get_monotonic_time ();
      do {
        if (!bench->run (gpu, t, &error) || !se_cmd_submit (gpu, &error))
          break;
        calls++;
        elapsed = g_get_monotonic_time () - start;
      } while (elapsed < seconds * 1e6);
    }
    for (guint i = 0; i < 6; i++)
      se_tensor_free (t[i]);
    if (error) {
      g_printerr ("%s: %s\n", bench->name, error->message);
      return 1;
    }
    double ms = elapsed / 1e3 / calls;
    printf ("%-42s %10.3f %10.2f %6d\n", bench->name, ms, bench->gflop / (ms / 1e3), calls);
    fflush (stdout);
    g_autofree char *report = se_cmd_profile_report (gpu);
    if (report)
      printf ("%s", report);
  }
  g_rand_free (rng);
  return 0;
}
