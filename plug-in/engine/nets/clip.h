/* clip.h: the CLIP text encoder of SD 1.x (token + position embeddings,
 * pre-LayerNorm transformer layers with a causal mask and no padding mask,
 * quick-GELU MLP, final LayerNorm).  The token embedding stays on the host
 * (SD 1.5's fp32 table exceeds a 128 MiB storage binding): rows are gathered
 * there and uploaded per evaluation. */
#pragma once

#include "blocks.h"

G_BEGIN_DECLS

typedef struct _SeClip SeClip;

SeClip *se_clip_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights,
                      GError **error);
void    se_clip_free (SeClip *clip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeClip, se_clip_free)

const SeClipConfig *se_clip_config (const SeClip *clip);

/* ids [batch, positions] -> last_hidden_state [batch, positions, hidden].
 * When hidden_states is not NULL it receives (owning) the embeddings and the
 * output of every layer, as transformers' hidden_states. */
SeTensor *se_clip_forward (SeClip *clip, const gint32 *ids, guint batch,
                           GPtrArray *hidden_states, GError **error);

G_END_DECLS
