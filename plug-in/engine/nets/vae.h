/* vae.h: SD 1.x's AutoencoderKL: encoder to the latent posterior, decoder
 * back to pixels.  Images are [B, 3, H, W] in [-1, 1] with H and W multiples
 * of 8 (non-square fine); latents are [B, 4, H/8, W/8], unscaled (multiply by
 * the configuration's scaling, 0.18215, for the diffusion model).
 *
 * Its activations are fp32 whatever the device's precision (its weights may
 * be fp16), as diffusers upcasts SD 1.x's VAE (force_upcast) because the
 * fp16 decoder overflows on some images, and because half precision moves
 * its outputs by more than the fp16 bound the other networks keep (3e-3
 * relative: 4.4e-3 on the reference model; on the tensor cores fp16
 * operands alone make 3.3e-3).  SE_VAE_PRECISION=fp16 (with fp16
 * activations) runs it in fp16 all the same, the tensor-core kernels'
 * type: GroupNorm statistics, softmax and every sum stay fp32, and when
 * an output is not finite its caller switches it to fp32 for good
 * (se_vae_use_fp32) and runs it again.  Inputs and outputs are fp32
 * tensors. */
#pragma once

#include "blocks.h"

G_BEGIN_DECLS

typedef struct _SeVae SeVae;

SeVae *se_vae_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights,
                    GError **error);
void   se_vae_free (SeVae *vae);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeVae, se_vae_free)

const SeVaeConfig *se_vae_config (const SeVae *vae);

/* The activation type the VAE runs in now (above). */
SeDType se_vae_activations (const SeVae *vae);
/* fp32 activations from now on (after an fp16 output that was not finite). */
void    se_vae_use_fp32 (SeVae *vae);

/* Posterior moments [B, 2 * latent, H/8, W/8]: the mean's channels, then the
 * log-variance's. */
SeTensor *se_vae_encode (SeVae *vae, const SeTensor *image, GError **error);
/* Splits downloaded moments into mean and std = exp(0.5 clamp(logvar, -30, 20)). */
void se_vae_posterior (const float *moments, guint batch, guint latent, gsize positions,
                       float *mean, float *std);

SeTensor *se_vae_decode (SeVae *vae, const SeTensor *latent, GError **error);

G_END_DECLS
