/* test_vae.c: the VAE against vae.safetensors (posterior mean and std of a
 * non-square image, and a decode), from both model layouts. */
#include <math.h>
#include <string.h>

#include "golden.h"
#include "nets/vae.h"

/* With fp16 activations (SE_VAE_PRECISION=fp16): measured at most 5.5e-3
 * (the fp16 weights' decode on the tiled kernels; 4.8e-3 on the coopmat
 * ones), over the other networks' 3e-3 (vae.h). */
#define VAE_FP16_BOUND 6e-3

static gsize
n_latent_decode (const gint64 *s)
{
  return (gsize) (s[0] * s[1] * s[2] * s[3]);
}

static void
run (gconstpointer data)
{
  const GoldenModel *gm = data;
  g_autoptr (SeModelFiles) model = golden_open (gm);
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  SeVae *vae = se_vae_load (gpu, model, gm->weights, &error);
  g_assert_no_error (error);
  const SeVaeConfig *cfg = se_vae_config (vae);
  g_assert_cmpfloat_with_epsilon (cfg->scaling, 0.18215, 1e-7);
  /* fp32 activations unless SE_VAE_PRECISION=fp16 (vae.h) */
  gboolean fp16 = se_vae_activations (vae) == SE_DTYPE_F16;
  g_assert_true (fp16 == (gpu->vae_fp16 && gpu->fp16_activations));
  double bound = fp16 ? VAE_FP16_BOUND : gm->bound;

  gsize n;
  gint64 s[4];
  g_autofree float *image = golden_read ("vae.safetensors", "image", &n, s);
  SeTensor *timage = se_test_tensor (gpu, image, 4, s);
  SeTensor *moments = se_vae_encode (vae, timage, &error);
  g_assert_no_error (error);
  gsize latent_n;
  gint64 ls[4];
  g_autofree float *want_mean = golden_read ("vae.safetensors", "latent_mean", &latent_n, ls);
  g_autofree float *want_std = golden_read ("vae.safetensors", "latent_std", &latent_n, NULL);
  g_assert_cmpint (moments->shape[1], ==, 2 * ls[1]);
  g_autofree float *m = g_new (float, moments->numel);
  g_assert_true (se_tensor_download (moments, m, &error));
  g_autofree double *mean = g_new (double, latent_n), *std = g_new (double, latent_n);
  g_autofree float *meanf = g_new (float, latent_n), *stdf = g_new (float, latent_n);
  se_vae_posterior (m, (guint) ls[0], (guint) ls[1], (gsize) (ls[2] * ls[3]), meanf, stdf);
  g_autofree double *wm = g_new (double, latent_n), *ws = g_new (double, latent_n);
  for (gsize i = 0; i < latent_n; i++) {
    mean[i] = meanf[i];
    std[i] = stdf[i];
    wm[i] = want_mean[i];
    ws[i] = want_std[i];
  }
  g_autofree char *w1 = g_strdup_printf ("%s: latent_mean", gm->name);
  g_autofree char *w2 = g_strdup_printf ("%s: latent_std", gm->name);
  se_test_assert_close (w1, mean, wm, latent_n, bound);
  se_test_assert_close (w2, std, ws, latent_n, bound);

  g_autofree float *latent = golden_read ("vae.safetensors", "decode.latent", &n, s);
  SeTensor *tlatent = se_test_tensor (gpu, latent, 4, s);
  SeTensor *decoded = se_vae_decode (vae, tlatent, &error);
  g_assert_no_error (error);
  g_autofree float *want_image = golden_read ("vae.safetensors", "decode.image", &n, NULL);
  g_autofree char *w3 = g_strdup_printf ("%s: decode.image", gm->name);
  golden_compare (w3, decoded, want_image, n, bound);

  /* a batch of two decodes each element alike (the VAE runs per image) */
  g_autofree float *two = g_new (float, 2 * n_latent_decode (s));
  memcpy (two, latent, n_latent_decode (s) * sizeof (float));
  memcpy (two + n_latent_decode (s), latent, n_latent_decode (s) * sizeof (float));
  SeTensor *tbatch = se_test_tensor_dims (gpu, two, 2, s[1], s[2], s[3]);
  SeTensor *dbatch = se_vae_decode (vae, tbatch, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dbatch->shape[0], ==, 2);
  g_autofree float *both = g_new (float, 2 * n);
  memcpy (both, want_image, n * sizeof (float));
  memcpy (both + n, want_image, n * sizeof (float));
  g_autofree char *w4 = g_strdup_printf ("%s: decode.image, batch of 2", gm->name);
  golden_compare (w4, dbatch, both, 2 * n, bound);
  se_tensor_free (tbatch);
  se_tensor_free (dbatch);

  /* With bindings limited to 256 KiB the 1 MiB maps at image resolution run
   * in four channel parts (as SD's 512x512 decode does on lavapipe); the
   * results must not change. */
  VkDeviceSize range = gpu->info.max_storage_buffer_range;
  gpu->info.max_storage_buffer_range = 256 << 10;
  SeTensor *moments_parts = se_vae_encode (vae, timage, &error);
  g_assert_no_error (error);
  SeTensor *decoded_parts = se_vae_decode (vae, tlatent, &error);
  g_assert_no_error (error);
  gpu->info.max_storage_buffer_range = range;
  g_autofree double *mp = se_test_fetch (moments_parts), *m0 = se_test_fetch (moments);
  g_autofree char *w5 = g_strdup_printf ("%s: encoder moments in channel parts", gm->name);
  /* the parts sum convolutions in another order: rounding only */
  se_test_assert_close (w5, mp, m0, moments->numel, fp16 ? VAE_FP16_BOUND : 1e-5);
  g_autofree char *w6 = g_strdup_printf ("%s: decode.image in channel parts", gm->name);
  golden_compare (w6, decoded_parts, want_image, n, bound);
  se_tensor_free (moments_parts);
  se_tensor_free (decoded_parts);

  /* a size that is not a multiple of 8 is refused */
  SeTensor *odd = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 1, 3, 20, 16);
  g_assert_null (se_vae_encode (vae, odd, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_clear_error (&error);

  se_tensor_free (odd);
  se_tensor_free (timage);
  se_tensor_free (moments);
  se_tensor_free (tlatent);
  se_tensor_free (decoded);
  se_vae_free (vae);
  se_test_gpu_done (gpu);
}

int
main (int argc, char **argv)
{
  return golden_main (argc, argv, "vae", run);
}
