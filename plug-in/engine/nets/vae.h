/* vae.h: SD 1.x's AutoencoderKL: encoder to the latent posterior, decoder
 * back to pixels.  Images are [B, 3, H, W] in [-1, 1] with H and W multiples
 * of 8 (non-square fine); latents are [B, 4, H/8, W/8], unscaled (multiply by
 * the configuration's scaling, 0.18215, for the diffusion model).
 *
 * Its activations are fp32 whatever the device's precision (its weights may
 * be fp16): diffusers upcasts SD 1.x's VAE the same way (force_upcast),
 * because the fp16 decoder overflows on some images; on the tiny reference
 * model fp16 activations moved the encoder's mean by 4.4e-3.  Inputs must be
 * fp32 tensors. */
#pragma once

#include "blocks.h"

G_BEGIN_DECLS

typedef struct _SeVae SeVae;

SeVae *se_vae_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights,
                    GError **error);
void   se_vae_free (SeVae *vae);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeVae, se_vae_free)

const SeVaeConfig *se_vae_config (const SeVae *vae);

/* Posterior moments [B, 2 * latent, H/8, W/8]: the mean's channels, then the
 * log-variance's. */
SeTensor *se_vae_encode (SeVae *vae, const SeTensor *image, GError **error);
/* Splits downloaded moments into mean and std = exp(0.5 clamp(logvar, -30, 20)). */
void se_vae_posterior (const float *moments, guint batch, guint latent, gsize positions,
                       float *mean, float *std);

SeTensor *se_vae_decode (SeVae *vae, const SeTensor *latent, GError **error);

G_END_DECLS
