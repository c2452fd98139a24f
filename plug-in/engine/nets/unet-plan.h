/* unet-plan.h: one UNet evaluation shape (batch, latent size), recorded once
 * and replayed for every denoising step (se_cmd_capture_begin in
 * gpu/commands.h): no re-recording, no allocation, and the text context
 * uploaded, and its keys and values for the cross-attentions made (a
 * recording of their own), only when it changes.  The plan owns its inputs, output and the
 * arena of intermediates (about the evaluation's peak activation memory).
 *
 * Used from one thread, like the SeGpu. */
#pragma once

#include "unet.h"

G_BEGIN_DECLS

typedef struct _SeUNetPlan SeUNetPlan;

/* context_len: tokens per context (77); capture_queries: 0, or keep the
 * cross-attention maps of the layers with at most that many queries
 * (SeAttnCapture), read after each run with se_unet_plan_attention. */
SeUNetPlan *se_unet_plan_new (SeUNet *unet, guint batch, guint h, guint w, guint context_len,
                              guint capture_queries, GError **error);
void        se_unet_plan_free (SeUNetPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeUNetPlan, se_unet_plan_free)

guint se_unet_plan_batch (const SeUNetPlan *plan);
guint se_unet_plan_capture_queries (const SeUNetPlan *plan);

/* One evaluation: sample [B, 4, h, w] and timesteps [B] in; contexts[b]
 * (context_len x context_dim floats each) uploaded only where they differ
 * (by address) from the last run's; the prediction [B, 4, h, w] out. */
gboolean se_unet_plan_run (SeUNetPlan *plan, const float *sample, const float *timesteps,
                           const float *const *contexts, float *out, GError **error);
/* The same in parts, for a step whose sample is written and whose output
 * is read on the device (ledits/device-loop.c): the timesteps and contexts
 * uploaded (and the keys and values made) for the next replay of the
 * evaluation's recording, which reads the sample tensor and writes the
 * output tensor. */
gboolean     se_unet_plan_prepare (SeUNetPlan *plan, const float *timesteps, const float *const *contexts,
                                   GError **error);
SeRecording *se_unet_plan_recording (SeUNetPlan *plan);
SeTensor    *se_unet_plan_sample (SeUNetPlan *plan);
const SeTensor *se_unet_plan_output (const SeUNetPlan *plan);
/* The captured cross-attention maps (SeAttnCapture's probs), or NULL. */
const GPtrArray *se_unet_plan_maps (const SeUNetPlan *plan);
/* The last run's cross-attention maps (se_attn_capture_mean). */
gboolean se_unet_plan_attention (const SeUNetPlan *plan, double *out, GError **error);

G_END_DECLS
