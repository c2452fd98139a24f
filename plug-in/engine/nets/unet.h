/* unet.h: UNet2DConditionModel as SD 1.x configures it: sinusoidal time
 * embedding (flip_sin_to_cos) and MLP, conv_in, down blocks of resnets and
 * transformers with downsamplers, a mid block, up blocks that concatenate the
 * skip connections in diffusers' order, GroupNorm + SiLU + conv_out.
 * Batched: sample [B, 4, h, w] with a timestep per batch element and a
 * context [B, 77, context_dim]; h and w multiples of 2^(blocks - 1). */
#pragma once

#include "blocks.h"

G_BEGIN_DECLS

typedef struct _SeUNet SeUNet;

SeUNet *se_unet_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights,
                      GError **error);
void    se_unet_free (SeUNet *unet);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeUNet, se_unet_free)

const SeUNetConfig *se_unet_config (const SeUNet *unet);
SeGpu              *se_unet_gpu (const SeUNet *unet);

/* Cross-attention probabilities to keep from an evaluation (LEDITS++'s
 * attention store, diffusers' AttentionStore): those of the down and up
 * blocks' transformers whose query count is at most max_queries (never the
 * mid block's), each an fp32 [B, queries, context tokens] tensor averaged
 * over the heads, appended to probs (SeTensor*, owned) in the order run. */
typedef struct {
  guint max_queries;
  GPtrArray *probs;
} SeAttnCapture;

/* Returns the noise prediction [B, 4, h, w].  When taps is not NULL it
 * receives copies of the intermediates diffusers names "conv_in",
 * "time_embedding", "down_blocks.N", "mid_block", "up_blocks.N" and
 * "conv_norm_out" (after the norm, before SiLU): char* -> SeTensor*, owned. */
SeTensor *se_unet_forward (SeUNet *unet, const SeTensor *sample, const float *timesteps,
                           const SeTensor *context, GHashTable *taps, GError **error);
/* The same with the timesteps [B] already on the device: records nothing
 * but dispatches, so it can be captured and replayed (unet-plan.h);
 * capture may be NULL. */
SeTensor *se_unet_forward_t (SeUNet *unet, const SeTensor *sample, const SeTensor *timesteps,
                             const SeTensor *context, GHashTable *taps, SeAttnCapture *capture,
                             GError **error);

/* The keys and values every cross-attention takes from a context [B, 77,
 * context_dim]: the part of an evaluation that depends on the prompts only,
 * made once per prompt batch and read by each evaluation with them. */
typedef struct _SeUNetKV SeUNetKV;
SeUNetKV *se_unet_kv_new (SeUNet *unet, const SeTensor *context, GError **error);
void      se_unet_kv_free (SeUNetKV *kv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeUNetKV, se_unet_kv_free)
/* se_unet_forward_t with the context's keys and values made already. */
SeTensor *se_unet_forward_kv (SeUNet *unet, const SeTensor *sample, const SeTensor *timesteps,
                              const SeUNetKV *kv, GHashTable *taps, SeAttnCapture *capture,
                              GError **error);

G_END_DECLS
