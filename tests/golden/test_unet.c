/* test_unet.c: the UNet against unet.safetensors: the batch-2 "small" run
 * with a timestep per element (output and every intermediate), and the
 * 64x64 "big" run whose self-attention spans 4096 tokens; both layouts. */
#include <string.h>

#include "golden.h"
#include "nets/unet.h"

static const char *taps[] = {
  "conv_in", "time_embedding", "down_blocks.0", "down_blocks.1", "down_blocks.2", "down_blocks.3",
  "mid_block", "up_blocks.0", "up_blocks.1", "up_blocks.2", "up_blocks.3", "conv_norm_out",
};

static SeTensor *
run_case (SeGpu *gpu, SeUNet *unet, const char *prefix, GHashTable *tapped)
{
  gsize n;
  gint64 s[4], cs[4];
  g_autofree char *sn = g_strconcat (prefix, ".sample", NULL);
  g_autofree char *tn = g_strconcat (prefix, ".timesteps", NULL);
  g_autofree char *cn = g_strconcat (prefix, ".context", NULL);
  g_autofree float *sample = golden_read ("unet.safetensors", sn, &n, s);
  g_autofree float *timesteps = golden_read ("unet.safetensors", tn, &n, NULL);
  g_autofree float *context = golden_read ("unet.safetensors", cn, &n, cs);
  SeTensor *ts = golden_input (gpu, sample, 4, s);
  SeTensor *tc = golden_input (gpu, context, 3, cs);
  g_autoptr (GError) error = NULL;
  SeTensor *out = se_unet_forward (unet, ts, timesteps, tc, tapped, &error);
  g_assert_no_error (error);
  se_tensor_free (ts);
  se_tensor_free (tc);
  return out;
}

static void
run (gconstpointer data)
{
  const GoldenModel *gm = data;
  g_autoptr (SeModelFiles) model = golden_open (gm);
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  SeUNet *unet = se_unet_load (gpu, model, gm->weights, &error);
  g_assert_no_error (error);

  GHashTable *tapped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) se_tensor_free);
  SeTensor *out = run_case (gpu, unet, "small", tapped);
  gsize n;
  for (guint i = 0; i < G_N_ELEMENTS (taps); i++) {
    g_autofree char *name = g_strconcat ("small.", taps[i], NULL);
    g_autofree float *want = golden_read ("unet.safetensors", name, &n, NULL);
    SeTensor *got = g_hash_table_lookup (tapped, taps[i]);
    g_assert_nonnull (got);
    g_autofree char *what = g_strdup_printf ("%s: %s", gm->name, name);
    golden_compare (what, got, want, n, golden_tap_bound (gm, gpu));
  }
  g_autofree float *want = golden_read ("unet.safetensors", "small.out", &n, NULL);
  g_autofree char *what = g_strdup_printf ("%s: small.out", gm->name);
  golden_compare (what, out, want, n, golden_bound (gm, gpu));
  g_hash_table_unref (tapped);
  se_tensor_free (out);

  /* the untapped path (fused norm + SiLU) gives the same result */
  out = run_case (gpu, unet, "small", NULL);
  golden_compare (what, out, want, n, golden_bound (gm, gpu));
  se_tensor_free (out);

  se_memory_reset_peak (gpu);
  VkDeviceSize before = se_memory_in_use (gpu);
  out = run_case (gpu, unet, "big", NULL);
  g_test_message ("big: peak activation memory %.1f MiB",
                  (double) (se_memory_peak (gpu) - before) / (1 << 20));
  g_autofree float *want_big = golden_read ("unet.safetensors", "big.out", &n, NULL);
  g_autofree char *what_big = g_strdup_printf ("%s: big.out", gm->name);
  golden_compare (what_big, out, want_big, n, golden_bound (gm, gpu));
  se_tensor_free (out);

  /* With bindings limited to 2 MiB (the largest tensor here is 1.5 MiB) the
   * feed-forward of the 4096-token run goes in two row chunks, as SD 1.5 at
   * batch 4 does on lavapipe; the result must not change. */
  VkDeviceSize range = gpu->info.max_storage_buffer_range;
  gpu->info.max_storage_buffer_range = 2 << 20;
  out = run_case (gpu, unet, "big", NULL);
  gpu->info.max_storage_buffer_range = range;
  g_autofree char *what_chunked = g_strdup_printf ("%s: big.out, chunked feed-forward", gm->name);
  golden_compare (what_chunked, out, want_big, n, golden_bound (gm, gpu));
  se_tensor_free (out);
  se_unet_free (unet);
  se_test_gpu_done (gpu);
}

int
main (int argc, char **argv)
{
  return golden_main (argc, argv, "unet", run);
}
