/* clip.c: CLIP text encoder. */
#include "clip.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fault.h"

typedef struct {
  SeAffine ln1, q, k, v, out, ln2, fc1, fc2;
} Layer;

struct _SeClip {
  SeGpu *gpu;
  SeClipConfig cfg;
  float *token_embedding;       /* host [vocab, hidden] */
  float *positions;             /* host [positions, hidden], added as rows are gathered */
  Layer *layers;
  SeAffine final_ln;
  GPtrArray *owned;
};

static void
load_affine (SeLoader *l, SeAffine *a, guint out, guint in, const char *prefix, const char *name)
{
  if (in == 0)
    a->w = se_load_1d (l, out, "%s%s.weight", prefix, name);
  else
    a->w = se_load_2d (l, out, in, "%s%s.weight", prefix, name);
  a->b = se_load_1d (l, out, "%s%s.bias", prefix, name);
}

SeClip *
se_clip_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights, GError **error)
{
  g_autoptr (SeClip) c = g_new0 (SeClip, 1);
  c->gpu = gpu;
  c->cfg = model->clip;
  c->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  const SeClipConfig *cfg = &c->cfg;
  guint W = cfg->hidden, I = cfg->intermediate;

  c->token_embedding = g_try_new (float, (gsize) cfg->vocab * W);
  if (c->token_embedding == NULL) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR, _("out of memory for the token embedding"));
    return NULL;
  }
  if (!se_model_files_read (model, SE_NET_CLIP, "text_model.embeddings.token_embedding.weight", 2,
                            (gint64[]) { cfg->vocab, W }, c->token_embedding, error))
    return NULL;

  c->positions = g_new (float, (gsize) cfg->positions * W);
  if (!se_model_files_read (model, SE_NET_CLIP, "text_model.embeddings.position_embedding.weight", 2,
                            (gint64[]) { cfg->positions, W }, c->positions, error))
    return NULL;

  SeLoader l = { .model = model, .net = SE_NET_CLIP, .gpu = gpu, .matrix_dtype = weights,
                 .owned = c->owned, .error = error, .ok = TRUE };
  c->layers = g_new0 (Layer, cfg->layers);
  for (guint i = 0; i < cfg->layers && l.ok; i++) {
    g_autofree char *p = g_strdup_printf ("text_model.encoder.layers.%u.", i);
    Layer *y = &c->layers[i];
    load_affine (&l, &y->ln1, W, 0, p, "layer_norm1");
    load_affine (&l, &y->q, W, W, p, "self_attn.q_proj");
    load_affine (&l, &y->k, W, W, p, "self_attn.k_proj");
    load_affine (&l, &y->v, W, W, p, "self_attn.v_proj");
    load_affine (&l, &y->out, W, W, p, "self_attn.out_proj");
    load_affine (&l, &y->ln2, W, 0, p, "layer_norm2");
    load_affine (&l, &y->fc1, I, W, p, "mlp.fc1");
    load_affine (&l, &y->fc2, W, I, p, "mlp.fc2");
  }
  load_affine (&l, &c->final_ln, W, 0, "text_model.", "final_layer_norm");
  return se_loader_finish (&l) ? g_steal_pointer (&c) : NULL;
}

void
se_clip_free (SeClip *c)
{
  if (c == NULL)
    return;
  g_ptr_array_unref (c->owned);
  g_free (c->layers);
  g_free (c->token_embedding);
  g_free (c->positions);
  g_free (c);
}

const SeClipConfig *
se_clip_config (const SeClip *c)
{
  return &c->cfg;
}

#define NEW(...) se_tensor_new_dims (gpu, error, __VA_ARGS__)

static gboolean
layer_forward (SeClip *c, const Layer *y, SeTensor *h, GError **error)
{
  SeGpu *gpu = c->gpu;
  gint64 B = h->shape[0], P = h->shape[1], W = c->cfg.hidden, I = c->cfg.intermediate;
  g_autoptr (SeTensor) n = NEW (B, P, W);
  g_autoptr (SeTensor) q = NEW (B, P, W);
  g_autoptr (SeTensor) k = NEW (B, P, W);
  g_autoptr (SeTensor) v = NEW (B, P, W);
  g_autoptr (SeTensor) a = NEW (B, P, W);
  if (!n || !q || !k || !v || !a ||
      !se_op_layer_norm (gpu, h, y->ln1.w, y->ln1.b, c->cfg.eps, n, error) ||
      !se_op_linear (gpu, n, y->q.w, y->q.b, q, error) ||
      !se_op_linear (gpu, n, y->k.w, y->k.b, k, error) ||
      !se_op_linear (gpu, n, y->v.w, y->v.b, v, error) ||
      !se_op_attention (gpu, q, k, v, c->cfg.heads, TRUE, a, error) ||
      !se_op_linear_residual (gpu, a, y->out.w, y->out.b, h, h, error) ||
      !se_op_layer_norm (gpu, h, y->ln2.w, y->ln2.b, c->cfg.eps, n, error))
    return FALSE;
  g_autoptr (SeTensor) f = NEW (B, P, I);
  if (f == NULL || !se_op_linear (gpu, n, y->fc1.w, y->fc1.b, f, error) ||
      !(c->cfg.quick_gelu ? se_op_quick_gelu (gpu, f, f, error) : se_op_gelu (gpu, f, f, error)) ||
      !se_op_linear_residual (gpu, f, y->fc2.w, y->fc2.b, h, h, error))
    return FALSE;
  return TRUE;
}

SeTensor *
se_clip_forward (SeClip *c, const gint32 *ids, guint batch, GPtrArray *hidden_states, GError **error)
{
  SeGpu *gpu = c->gpu;
  guint P = c->cfg.positions, W = c->cfg.hidden;
  g_autofree float *emb = se_host_alloc ((gsize) batch * P * W, sizeof (float), _("the prompt's token embeddings"),
                                         error);
  if (emb == NULL)
    return NULL;
  for (guint i = 0; i < batch * P; i++) {
    if (ids[i] < 0 || (guint) ids[i] >= c->cfg.vocab) {
      g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                   _("token id %d is outside the text encoder's vocabulary of %u"), ids[i], c->cfg.vocab);
      return NULL;
    }
    const float *tok = c->token_embedding + (gsize) ids[i] * W, *pos = c->positions + (gsize) (i % P) * W;
    for (guint k = 0; k < W; k++)
      emb[(gsize) i * W + k] = tok[k] + pos[k];
  }
  g_autoptr (SeTensor) h = NEW (batch, P, W);
  if (h == NULL || !se_tensor_upload (h, emb, error))
    return NULL;
  for (guint i = 0; i <= c->cfg.layers; i++) {
    if (hidden_states) {
      SeTensor *snap = se_op_clone (gpu, h, error);
      if (snap == NULL)
        return NULL;
      g_ptr_array_add (hidden_states, snap);
    }
    if (i < c->cfg.layers && !layer_forward (c, &c->layers[i], h, error))
      return NULL;
  }
  g_autoptr (SeTensor) out = NEW (batch, P, W);
  if (out == NULL || !se_op_layer_norm (gpu, h, c->final_ln.w, c->final_ln.b, c->cfg.eps, out, error))
    return NULL;
  return g_steal_pointer (&out);
}
