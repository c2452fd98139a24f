/* unet.c: the SD 1.x noise-prediction UNet. */
#include "unet.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fault.h"

typedef struct {
  guint n;                      /* resnets (and transformers, when attention) */
  SeResnet *resnets;
  SeTransformer *attn;          /* NULL for plain blocks */
  SeAffine sampler;             /* downsampler / upsampler conv; w NULL if none */
} Block;

struct _SeUNet {
  SeGpu *gpu;
  SeUNetConfig cfg;
  SeAffine time1, time2, conv_in, norm_out, conv_out;
  SeAffine time_proj;           /* every resnet's time projection, stacked */
  Block down[SE_MAX_BLOCKS], up[SE_MAX_BLOCKS];
  SeResnet mid_a, mid_b;
  SeTransformer mid_attn;
  GPtrArray *owned;
};

static void
load_block (SeLoader *l, const SeUNetConfig *c, Block *b, const char *kind, guint index,
            gboolean attn, guint n, const guint *cin, guint cout)
{
  b->n = n;
  b->resnets = g_new0 (SeResnet, n);
  b->attn = attn ? g_new0 (SeTransformer, n) : NULL;
  for (guint j = 0; j < n; j++) {
    g_autofree char *r = g_strdup_printf ("%s.%u.resnets.%u.", kind, index, j);
    se_resnet_load (l, &b->resnets[j], r, cin[j], cout, c->time_embed_dim);
    if (attn) {
      g_autofree char *a = g_strdup_printf ("%s.%u.attentions.%u.", kind, index, j);
      se_transformer_load (l, &b->attn[j], a, cout, c->heads, c->context_dim);
    }
  }
}

SeUNet *
se_unet_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights, GError **error)
{
  g_autoptr (SeUNet) u = g_new0 (SeUNet, 1);
  u->gpu = gpu;
  u->cfg = model->unet;
  u->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  const SeUNetConfig *c = &u->cfg;
  guint n = c->n_blocks, L = c->layers, c0 = c->block_out[0], top = c->block_out[n - 1];
  SeLoader l = { .model = model, .net = SE_NET_UNET, .gpu = gpu, .matrix_dtype = weights,
                 .owned = u->owned, .error = error, .ok = TRUE };

  u->time1.w = se_load_2d (&l, c->time_embed_dim, c0, "time_embedding.linear_1.weight");
  u->time1.b = se_load_1d (&l, c->time_embed_dim, "time_embedding.linear_1.bias");
  u->time2.w = se_load_2d (&l, c->time_embed_dim, c->time_embed_dim, "time_embedding.linear_2.weight");
  u->time2.b = se_load_1d (&l, c->time_embed_dim, "time_embedding.linear_2.bias");
  se_conv3_load (&l, &u->conv_in, "conv_in", c->in_channels, c0);

  /* skip channels in the order the down path produces them */
  guint skips[1 + SE_MAX_BLOCKS * 16], n_skips = 0;
  skips[n_skips++] = c0;
  for (guint i = 0; i < n; i++) {
    guint cout = c->block_out[i];
    guint cin[16];
    for (guint j = 0; j < L; j++) {
      cin[j] = j ? cout : (i ? c->block_out[i - 1] : c0);
      skips[n_skips++] = cout;
    }
    load_block (&l, c, &u->down[i], "down_blocks", i, c->down_attn[i], L, cin, cout);
    if (i + 1 < n) {
      g_autofree char *p = g_strdup_printf ("down_blocks.%u.downsamplers.0.conv", i);
      se_conv3_load (&l, &u->down[i].sampler, p, cout, cout);
      skips[n_skips++] = cout;
    }
  }
  se_resnet_load (&l, &u->mid_a, "mid_block.resnets.0.", top, top, c->time_embed_dim);
  se_transformer_load (&l, &u->mid_attn, "mid_block.attentions.0.", top, c->heads, c->context_dim);
  se_resnet_load (&l, &u->mid_b, "mid_block.resnets.1.", top, top, c->time_embed_dim);

  guint prev = top;
  for (guint i = 0; i < n; i++) {
    guint cout = c->block_out[n - 1 - i];
    guint cin[17];
    for (guint j = 0; j <= L; j++)
      cin[j] = (j ? cout : prev) + skips[--n_skips];
    load_block (&l, c, &u->up[i], "up_blocks", i, c->up_attn[i], L + 1, cin, cout);
    if (i + 1 < n) {
      g_autofree char *p = g_strdup_printf ("up_blocks.%u.upsamplers.0.conv", i);
      se_conv3_load (&l, &u->up[i].sampler, p, cout, cout);
    }
    prev = cout;
  }
  u->norm_out.w = se_load_1d (&l, c0, "conv_norm_out.weight");
  u->norm_out.b = se_load_1d (&l, c0, "conv_norm_out.bias");
  se_conv3_load (&l, &u->conv_out, "conv_out", c0, c->out_channels);
  /* one GEMM projects the time embedding for every resnet */
  g_autoptr (GPtrArray) resnets = g_ptr_array_new ();
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < u->down[i].n; j++)
      g_ptr_array_add (resnets, &u->down[i].resnets[j]);
  g_ptr_array_add (resnets, &u->mid_a);
  g_ptr_array_add (resnets, &u->mid_b);
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < u->up[i].n; j++)
      g_ptr_array_add (resnets, &u->up[i].resnets[j]);
  se_resnets_stack_time (&l, (SeResnet *const *) resnets->pdata, resnets->len, &u->time_proj);
  return se_loader_finish (&l) ? g_steal_pointer (&u) : NULL;
}

void
se_unet_free (SeUNet *u)
{
  if (u == NULL)
    return;
  for (guint i = 0; i < SE_MAX_BLOCKS; i++) {
    g_free (u->down[i].resnets);
    g_free (u->down[i].attn);
    g_free (u->up[i].resnets);
    g_free (u->up[i].attn);
  }
  g_ptr_array_unref (u->owned);
  g_free (u);
}

const SeUNetConfig *
se_unet_config (const SeUNet *u)
{
  return &u->cfg;
}

SeGpu *
se_unet_gpu (const SeUNet *u)
{
  return u->gpu;
}

#define NEW(...) se_tensor_new_typed_dims (gpu, sample->dtype, error, __VA_ARGS__)

/* Keeps a copy of t under name when taps are wanted. */
static gboolean
tap (SeGpu *gpu, GHashTable *taps, const char *name, const SeTensor *t, GError **error)
{
  if (taps == NULL)
    return TRUE;
  SeTensor *copy = se_op_clone (gpu, t, error);
  if (copy == NULL)
    return FALSE;
  g_hash_table_replace (taps, g_strdup (name), copy);
  return TRUE;
}

/* The down path's outputs are its skips: `skips` owns each, and h, while
 * it is the last of them (*h_skip), only borrows it (no copy). */
static void
push_skip (GPtrArray *skips, SeTensor *h, gboolean *h_skip)
{
  g_ptr_array_add (skips, h);
  *h_skip = TRUE;
}

/* se_tensor_replace for a down-path h that may be a skip. */
static gboolean
advance (SeTensor **h, gboolean *h_skip, SeTensor *next)
{
  if (next == NULL)
    return FALSE;
  if (!*h_skip)
    se_tensor_free (*h);
  *h = next;
  *h_skip = FALSE;
  return TRUE;
}

/* Every resnet's projection of SiLU(time_embedding(t)) [B, sum of their
 * channels] (u->time_proj); fp32 in both precisions (small, and it becomes
 * the resnets' biases) */
#define NEW_F32(...) se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, __VA_ARGS__)
static SeTensor *
time_embedding (SeUNet *u, const SeTensor *t, GHashTable *taps, GError **error)
{
  SeGpu *gpu = u->gpu;
  const SeUNetConfig *c = &u->cfg;
  gint64 B = t->shape[0];
  g_autoptr (SeTensor) sin = NEW_F32 (B, c->block_out[0]);
  g_autoptr (SeTensor) h = NEW_F32 (B, c->time_embed_dim);
  g_autoptr (SeTensor) emb = NEW_F32 (B, c->time_embed_dim);
  g_autoptr (SeTensor) proj = NEW_F32 (B, u->time_proj.w->shape[0]);
  if (!sin || !h || !emb || !proj ||
      !se_op_timestep_embedding (gpu, t, c->flip_sin_to_cos, c->freq_shift, sin, error) ||
      !se_op_linear (gpu, sin, u->time1.w, u->time1.b, h, error) ||
      !se_op_silu (gpu, h, h, error) ||
      !se_op_linear (gpu, h, u->time2.w, u->time2.b, emb, error) ||
      !tap (gpu, taps, "time_embedding", emb, error) ||
      !se_op_silu (gpu, emb, emb, error) ||
      !se_op_linear (gpu, emb, u->time_proj.w, u->time_proj.b, proj, error))
    return NULL;
  return g_steal_pointer (&proj);
}

SeTensor *
se_unet_forward (SeUNet *u, const SeTensor *sample, const float *timesteps, const SeTensor *context,
                 GHashTable *taps, GError **error)
{
  g_autoptr (SeTensor) t = se_tensor_new_typed (u->gpu, SE_DTYPE_F32, 1,
                                                (gint64[]) { sample->ndim == 4 ? sample->shape[0] : 1 }, error);
  if (t == NULL || !se_tensor_upload (t, timesteps, error))
    return NULL;
  return se_unet_forward_t (u, sample, t, context, taps, NULL, error);
}

/* A down or up block's transformer, its cross-attention kept when capture
 * asks for maps of this size. */
static SeTensor *
transformer (SeUNet *u, const SeTransformer *t, const SeTensor *h, const SeTensor *kv,
             SeAttnCapture *capture, GError **error)
{
  gboolean keep = capture && (guint64) h->shape[2] * h->shape[3] <= capture->max_queries;
  SeTensor *probs = NULL;
  SeTensor *out = se_transformer_forward (u->gpu, t, h, kv, u->cfg.groups, keep ? &probs : NULL, error);
  if (probs)
    g_ptr_array_add (capture->probs, probs);
  return out;
}

struct _SeUNetKV {
  guint batch;
  GPtrArray *layers;            /* [B, 77, 2C] per transformer, in the order they run */
};

void
se_unet_kv_free (SeUNetKV *kv)
{
  if (kv == NULL)
    return;
  g_ptr_array_unref (kv->layers);
  g_free (kv);
}

/* Every transformer in the order the UNet runs them. */
static GPtrArray *
transformers (SeUNet *u)
{
  GPtrArray *all = g_ptr_array_new ();
  guint n = u->cfg.n_blocks;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; u->down[i].attn && j < u->down[i].n; j++)
      g_ptr_array_add (all, &u->down[i].attn[j]);
  g_ptr_array_add (all, &u->mid_attn);
  for (guint i = 0; i < n; i++)
    for (guint j = 0; u->up[i].attn && j < u->up[i].n; j++)
      g_ptr_array_add (all, &u->up[i].attn[j]);
  return all;
}

SeUNetKV *
se_unet_kv_new (SeUNet *u, const SeTensor *context, GError **error)
{
  if (context->ndim != 3 || context->shape[2] != u->cfg.context_dim) {
    g_autofree char *cs = se_tensor_shape_string (context);
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, _("UNet: expected context [B, L, %u]; got %s"),
                 u->cfg.context_dim, cs);
    return NULL;
  }
  g_autoptr (GPtrArray) all = transformers (u);
  g_autoptr (SeUNetKV) kv = g_new0 (SeUNetKV, 1);
  kv->batch = (guint) context->shape[0];
  kv->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  for (guint i = 0; i < all->len; i++) {
    SeTensor *t = se_transformer_context_kv (u->gpu, all->pdata[i], context, error);
    if (t == NULL)
      return NULL;
    g_ptr_array_add (kv->layers, t);
  }
  return g_steal_pointer (&kv);
}

SeTensor *
se_unet_forward_t (SeUNet *u, const SeTensor *sample, const SeTensor *timesteps, const SeTensor *context,
                   GHashTable *taps, SeAttnCapture *capture, GError **error)
{
  g_autoptr (SeUNetKV) kv = se_unet_kv_new (u, context, error);
  return kv ? se_unet_forward_kv (u, sample, timesteps, kv, taps, capture, error) : NULL;
}

SeTensor *
se_unet_forward_kv (SeUNet *u, const SeTensor *sample, const SeTensor *timesteps, const SeUNetKV *kv,
                    GHashTable *taps, SeAttnCapture *capture, GError **error)
{
  SeGpu *gpu = u->gpu;
  const SeUNetConfig *c = &u->cfg;
  guint n = c->n_blocks, factor = 1u << (n - 1);
  if (sample->ndim != 4 || sample->shape[1] != c->in_channels || sample->shape[2] % factor ||
      sample->shape[3] % factor || kv->batch != sample->shape[0] || timesteps->ndim != 1 ||
      timesteps->shape[0] != sample->shape[0]) {
    g_autofree char *s = se_tensor_shape_string (sample);
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 _("UNet: expected sample [B, %u, h, w] with h, w multiples of %u and a context of batch B; "
                   "got %s and a context of batch %u"), c->in_channels, factor, s, kv->batch);
    return NULL;
  }
  guint B = (guint) sample->shape[0];
  g_autoptr (SeTensor) temb = time_embedding (u, timesteps, taps, error);
  if (temb == NULL)
    return NULL;
  g_autoptr (GPtrArray) skips = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  gboolean h_skip = FALSE;
  SeTensor *const *kvs = (SeTensor *const *) kv->layers->pdata;
  guint layer = 0;              /* kvs' next transformer */
  /* maps a GroupNorm reads next carry their statistics where the kernels
   * fuse it (blocks.h: gather) */
  SeTensor *h = se_conv_forward_gather (gpu, &u->conv_in, sample, 1, 1, 1, c->groups, error);
  if (h == NULL || !tap (gpu, taps, "conv_in", h, error))
    goto fail;
  push_skip (skips, h, &h_skip);
  for (guint i = 0; i < n; i++) {
    const Block *b = &u->down[i];
    for (guint j = 0; j < b->n; j++) {
      gboolean normalized_next = b->attn || j + 1 < b->n || !b->sampler.w;
      if (!advance (&h, &h_skip, se_resnet_forward (gpu, &b->resnets[j], h, temb, c->groups, c->eps,
                                                    normalized_next, error)) ||
          (b->attn && !advance (&h, &h_skip, transformer (u, &b->attn[j], h, kvs[layer++], capture, error))))
        goto fail;
      push_skip (skips, h, &h_skip);
    }
    if (b->sampler.w) {
      if (!advance (&h, &h_skip, se_conv_forward_gather (gpu, &b->sampler, h, 2, 1, 1, c->groups, error)))
        goto fail;
      push_skip (skips, h, &h_skip);
    }
    g_autofree char *name = g_strdup_printf ("down_blocks.%u", i);
    if (!tap (gpu, taps, name, h, error))
      goto fail;
  }
  if (!advance (&h, &h_skip, se_resnet_forward (gpu, &u->mid_a, h, temb, c->groups, c->eps, TRUE, error)) ||
      !se_tensor_replace (&h, se_transformer_forward (gpu, &u->mid_attn, h, kvs[layer++], c->groups, NULL, error)) ||
      !se_tensor_replace (&h, se_resnet_forward (gpu, &u->mid_b, h, temb, c->groups, c->eps, FALSE, error)) ||
      !tap (gpu, taps, "mid_block", h, error))
    goto fail;
  for (guint i = 0; i < n; i++) {
    const Block *b = &u->up[i];
    for (guint j = 0; j < b->n; j++) {
      SeTensor *skip = g_ptr_array_steal_index (skips, skips->len - 1);
      h = se_resnet_forward_concat (gpu, &b->resnets[j], g_steal_pointer (&h), skip, temb, c->groups, c->eps,
                                    b->attn != NULL, error);
      if (h == NULL ||
          (b->attn && !se_tensor_replace (&h, transformer (u, &b->attn[j], h, kvs[layer++], capture, error))))
        goto fail;
    }
    if (b->sampler.w && !se_tensor_replace (&h, se_upsample_forward (gpu, &b->sampler, h, error)))
      goto fail;
    g_autofree char *name = g_strdup_printf ("up_blocks.%u", i);
    if (!tap (gpu, taps, name, h, error))
      goto fail;
  }
  {
    g_autoptr (SeTensor) norm = NEW (B, h->shape[1], h->shape[2], h->shape[3]);
    if (norm == NULL ||
        !se_op_group_norm (gpu, h, u->norm_out.w, u->norm_out.b, c->groups, c->eps, taps == NULL, norm, error) ||
        !tap (gpu, taps, "conv_norm_out", norm, error) ||
        (taps && !se_op_silu (gpu, norm, norm, error)) ||
        !se_tensor_replace (&h, se_conv_forward (gpu, &u->conv_out, norm, 1, 1, 1, error)))
      goto fail;
  }
  return h;

fail:
  if (!h_skip)
    se_tensor_free (h);
  return NULL;
}
