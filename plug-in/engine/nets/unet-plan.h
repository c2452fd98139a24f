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
 * (SeAttnCapture), which each replay rewrites (se_unet_plan_maps). */
SeUNetPlan *se_unet_plan_new (SeUNet *unet, guint batch, guint h, guint w, guint context_len,
                              guint capture_queries, GError **error);
void        se_unet_plan_free (SeUNetPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeUNetPlan, se_unet_plan_free)

guint se_unet_plan_batch (const SeUNetPlan *plan);
guint se_unet_plan_capture_queries (const SeUNetPlan *plan);

/* An evaluation's sample [B, 4, h, w] is written and its prediction [B,
 * 4, h, w] read on the device (ledits/device-loop.c) around a replay of its
 * recording; before it, prepare uploads the timesteps [B] and contexts[b]
 * (context_len x context_dim floats each), these only where they differ (by
 * address) from the last replay's, and then makes their keys and values. */
gboolean     se_unet_plan_prepare (SeUNetPlan *plan, const float *timesteps, const float *const *contexts,
                                   GError **error);
SeRecording *se_unet_plan_recording (SeUNetPlan *plan);
SeTensor    *se_unet_plan_sample (SeUNetPlan *plan);
const SeTensor *se_unet_plan_output (const SeUNetPlan *plan);
/* The captured cross-attention maps (SeAttnCapture's probs), or NULL. */
const GPtrArray *se_unet_plan_maps (const SeUNetPlan *plan);

G_END_DECLS
