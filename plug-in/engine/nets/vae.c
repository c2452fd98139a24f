/* vae.c: AutoencoderKL encoder and decoder. */
#include "vae.h"

#include "feature.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#define VAE_EPS 1e-6f

typedef struct {
  SeResnet *resnets;
  guint n_resnets;
  SeAffine sampler;             /* downsampler or upsampler conv; w NULL if none */
} Block;

typedef struct {
  SeResnet a, b;
  SeVaeAttention attn;
} Mid;

struct _SeVae {
  SeGpu *gpu;
  SeVaeConfig cfg;
  gboolean fp32;                /* se_vae_use_fp32 */
  SeAffine enc_in, enc_norm, enc_out, quant, post_quant, dec_in, dec_norm, dec_out;
  Block enc[SE_MAX_BLOCKS], dec[SE_MAX_BLOCKS];
  Mid enc_mid, dec_mid;
  GPtrArray *owned;
};

static void
load_mid (SeLoader *l, Mid *m, const char *part, guint c)
{
  g_autofree char *r0 = g_strdup_printf ("%s.mid_block.resnets.0.", part);
  g_autofree char *r1 = g_strdup_printf ("%s.mid_block.resnets.1.", part);
  g_autofree char *at = g_strdup_printf ("%s.mid_block.attentions.0.", part);
  se_resnet_load (l, &m->a, r0, c, c, 0);
  se_vae_attention_load (l, &m->attn, at, c);
  se_resnet_load (l, &m->b, r1, c, c, 0);
}

static void
load_affine (SeLoader *l, SeAffine *a, guint out, guint in, guint k, const char *name)
{
  if (k == 3) {
    se_conv3_load (l, a, name, in, out);
    return;
  }
  a->w = k ? se_load_4d (l, out, in, k, k, "%s.weight", name) : se_load_1d (l, out, "%s.weight", name);
  a->b = se_load_1d (l, out, "%s.bias", name);
}

SeVae *
se_vae_load (SeGpu *gpu, const SeModelFiles *model, SeDType weights, GError **error)
{
  g_autoptr (SeVae) v = g_new0 (SeVae, 1);
  v->gpu = gpu;
  v->cfg = model->vae;
  v->owned = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  const SeVaeConfig *c = &v->cfg;
  guint n = c->n_blocks, L = c->latent_channels, top = c->block_out[n - 1];
  SeLoader l = { .model = model, .net = SE_NET_VAE, .gpu = gpu, .matrix_dtype = weights,
                 .owned = v->owned, .error = error, .ok = TRUE };

  load_affine (&l, &v->enc_in, c->block_out[0], c->in_channels, 3, "encoder.conv_in");
  for (guint i = 0; i < n; i++) {
    Block *b = &v->enc[i];
    guint cin = i ? c->block_out[i - 1] : c->block_out[0], cout = c->block_out[i];
    b->n_resnets = c->layers;
    b->resnets = g_new0 (SeResnet, b->n_resnets);
    for (guint j = 0; j < b->n_resnets; j++) {
      g_autofree char *p = g_strdup_printf ("encoder.down_blocks.%u.resnets.%u.", i, j);
      se_resnet_load (&l, &b->resnets[j], p, j ? cout : cin, cout, 0);
    }
    if (i + 1 < n) {
      g_autofree char *p = g_strdup_printf ("encoder.down_blocks.%u.downsamplers.0.conv", i);
      se_conv3_load (&l, &b->sampler, p, cout, cout);
    }
  }
  load_mid (&l, &v->enc_mid, "encoder", top);
  load_affine (&l, &v->enc_norm, top, 0, 0, "encoder.conv_norm_out");
  load_affine (&l, &v->enc_out, 2 * L, top, 3, "encoder.conv_out");
  load_affine (&l, &v->quant, 2 * L, 2 * L, 1, "quant_conv");

  load_affine (&l, &v->post_quant, L, L, 1, "post_quant_conv");
  load_affine (&l, &v->dec_in, top, L, 3, "decoder.conv_in");
  load_mid (&l, &v->dec_mid, "decoder", top);
  for (guint i = 0; i < n; i++) {
    Block *b = &v->dec[i];
    guint cout = c->block_out[n - 1 - i], cin = i ? c->block_out[n - i] : top;
    b->n_resnets = c->layers + 1;
    b->resnets = g_new0 (SeResnet, b->n_resnets);
    for (guint j = 0; j < b->n_resnets; j++) {
      g_autofree char *p = g_strdup_printf ("decoder.up_blocks.%u.resnets.%u.", i, j);
      se_resnet_load (&l, &b->resnets[j], p, j ? cout : cin, cout, 0);
    }
    if (i + 1 < n) {
      g_autofree char *p = g_strdup_printf ("decoder.up_blocks.%u.upsamplers.0.conv", i);
      se_conv3_load (&l, &b->sampler, p, cout, cout);
    }
  }
  load_affine (&l, &v->dec_norm, c->block_out[0], 0, 0, "decoder.conv_norm_out");
  load_affine (&l, &v->dec_out, c->out_channels, c->block_out[0], 3, "decoder.conv_out");
  return se_loader_finish (&l) ? g_steal_pointer (&v) : NULL;
}

void
se_vae_free (SeVae *v)
{
  if (v == NULL)
    return;
  for (guint i = 0; i < SE_MAX_BLOCKS; i++) {
    g_free (v->enc[i].resnets);
    g_free (v->dec[i].resnets);
  }
  g_ptr_array_unref (v->owned);
  g_free (v);
}

const SeVaeConfig *
se_vae_config (const SeVae *v)
{
  return &v->cfg;
}

/* The mid block runs at latent resolution, always within one binding. */
static gboolean
mid_forward (SeVae *v, const Mid *m, SeTensor **h, GError **error)
{
  guint g = v->cfg.groups;
  return se_tensor_replace (h, se_resnet_forward (v->gpu, &m->a, *h, NULL, g, VAE_EPS, FALSE, error)) &&
         se_tensor_replace (h, se_vae_attention_forward (v->gpu, &m->attn, *h, g, error)) &&
         se_tensor_replace (h, se_resnet_forward (v->gpu, &m->b, *h, NULL, g, VAE_EPS, FALSE, error));
}

/* The blocks at image resolution, over channel parts (see feature.h). */
static gboolean
blocks_forward (SeVae *v, const Block *blocks, gboolean down, SeFeature **h, GError **error)
{
  const SeVaeConfig *c = &v->cfg;
  for (guint i = 0; i < c->n_blocks; i++) {
    const Block *b = &blocks[i];
    for (guint j = 0; j < b->n_resnets; j++)
      if (!se_feature_replace (h, se_feature_resnet (v->gpu, &b->resnets[j], *h, c->groups, VAE_EPS, error)))
        return FALSE;
    if (b->sampler.w == NULL)
      continue;
    /* diffusers' encoder pads (0, 1, 0, 1) and convolves with stride 2 */
    if (down ? !se_feature_replace (h, se_feature_conv (v->gpu, *h, &b->sampler, 2, 0, 1, c->groups, NULL, error))
             : !se_feature_replace (h, se_feature_upsample_conv (v->gpu, *h, &b->sampler, c->groups, error)))
      return FALSE;
  }
  return TRUE;
}

/* GroupNorm + SiLU, then the output conv */
static SeFeature *
norm_out (SeVae *v, const SeAffine *norm, const SeAffine *conv, const SeFeature *h, GError **error)
{
  g_autoptr (SeFeature) n = se_feature_group_norm (v->gpu, h, norm, v->cfg.groups, VAE_EPS, TRUE, error);
  return n ? se_feature_conv (v->gpu, n, conv, 1, 1, 1, v->cfg.groups, NULL, error) : NULL;
}

static gboolean
check_image (const SeTensor *t, guint channels, guint factor, const char *what, GError **error)
{
  if (t->ndim == 4 && t->shape[1] == channels && t->shape[2] % factor == 0 && t->shape[3] % factor == 0 &&
      t->dtype == SE_DTYPE_F32)
    return TRUE;
  g_autofree char *s = se_tensor_shape_string (t);
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
               _("VAE %s: expected fp32 [B, %u, H, W] with H and W multiples of %u, got %s %s"),
               what, channels, factor, se_dtype_name (t->dtype), s);
  return FALSE;
}

SeDType
se_vae_activations (const SeVae *v)
{
  const SeGpu *gpu = v->gpu;
  return gpu->vae_fp16 && gpu->fp16_activations && !v->fp32 ? SE_DTYPE_F16 : SE_DTYPE_F32;
}

void
se_vae_use_fp32 (SeVae *v)
{
  v->fp32 = TRUE;
}

typedef SeTensor *(*OneImage) (SeVae *v, const SeTensor *x, GError **error);

/* Runs f on each batch element (views of x) into one fp32 output, in the
 * VAE's activation type between: activations of a 512x512 image are
 * hundreds of MiB, so batching them buys nothing. */
static SeTensor *
per_image (SeVae *v, const SeTensor *x, OneImage f, GError **error)
{
  SeDType act = se_vae_activations (v);
  gsize stride = se_tensor_inner (x, 1);
  g_autoptr (SeTensor) out = NULL;
  for (gint64 b = 0; b < x->shape[0]; b++) {
    g_autoptr (SeTensor) xb = se_tensor_view (x, (gsize) b * stride, 4,
                                              (gint64[]) { 1, x->shape[1], x->shape[2], x->shape[3] }, error);
    g_autoptr (SeTensor) in = xb && act != SE_DTYPE_F32 ? se_op_cast (v->gpu, xb, act, error) : NULL;
    if (xb == NULL || (act != SE_DTYPE_F32 && in == NULL))
      return NULL;
    g_autoptr (SeTensor) yb = f (v, in ? in : xb, error);
    if (yb && yb->dtype != SE_DTYPE_F32)
      se_tensor_replace (&yb, se_op_cast (v->gpu, yb, SE_DTYPE_F32, error));
    if (yb == NULL)
      return NULL;
    if (x->shape[0] == 1)
      return g_steal_pointer (&yb);
    if (out == NULL)
      out = se_tensor_new_typed_dims (v->gpu, yb->dtype, error, x->shape[0], yb->shape[1], yb->shape[2], yb->shape[3]);
    g_autoptr (SeTensor) dst = out ? se_tensor_view (out, (gsize) b * yb->numel, 4, yb->shape, error) : NULL;
    if (dst == NULL || !se_op_copy (v->gpu, yb, dst, error))
      return NULL;
  }
  return g_steal_pointer (&out);
}

static SeTensor *
encode_one (SeVae *v, const SeTensor *image, GError **error)
{
  g_autoptr (SeTensor) input = se_tensor_view (image, 0, 4, image->shape, error);
  g_autoptr (SeFeature) x = input ? se_feature_wrap (g_steal_pointer (&input)) : NULL;
  g_autoptr (SeFeature) h = x ? se_feature_conv (v->gpu, x, &v->enc_in, 1, 1, 1, v->cfg.groups, NULL, error) : NULL;
  if (h == NULL || !blocks_forward (v, v->enc, TRUE, &h, error))
    return NULL;
  g_autoptr (SeTensor) t = se_feature_unwrap (v->gpu, g_steal_pointer (&h), error);
  if (t == NULL || !mid_forward (v, &v->enc_mid, &t, error))
    return NULL;
  g_autoptr (SeFeature) mid = se_feature_wrap (g_steal_pointer (&t));
  g_autoptr (SeFeature) moments = norm_out (v, &v->enc_norm, &v->enc_out, mid, error);
  g_autoptr (SeTensor) m = moments ? se_feature_unwrap (v->gpu, g_steal_pointer (&moments), error) : NULL;
  if (m == NULL)
    return NULL;
  return se_conv_forward (v->gpu, &v->quant, m, 1, 0, 0, error);
}

SeTensor *
se_vae_encode (SeVae *v, const SeTensor *image, GError **error)
{
  if (!check_image (image, v->cfg.in_channels, 1u << (v->cfg.n_blocks - 1), "encode", error))
    return NULL;
  return per_image (v, image, encode_one, error);
}

void
se_vae_posterior (const float *moments, guint batch, guint latent, gsize positions, float *mean, float *std)
{
  for (guint b = 0; b < batch; b++)
    for (guint c = 0; c < latent; c++)
      for (gsize p = 0; p < positions; p++) {
        gsize out = ((gsize) b * latent + c) * positions + p;
        gsize m = ((gsize) b * 2 * latent + c) * positions + p;
        gsize lv = m + (gsize) latent * positions;
        mean[out] = moments[m];
        std[out] = expf (0.5f * CLAMP (moments[lv], -30.0f, 20.0f));
      }
}

static SeTensor *
decode_one (SeVae *v, const SeTensor *latent, GError **error)
{
  g_autoptr (SeTensor) t = se_conv_forward (v->gpu, &v->post_quant, latent, 1, 0, 0, error);
  if (t == NULL || !se_tensor_replace (&t, se_conv_forward (v->gpu, &v->dec_in, t, 1, 1, 1, error)) ||
      !mid_forward (v, &v->dec_mid, &t, error))
    return NULL;
  g_autoptr (SeFeature) h = se_feature_wrap (g_steal_pointer (&t));
  if (!blocks_forward (v, v->dec, FALSE, &h, error) ||
      !se_feature_replace (&h, norm_out (v, &v->dec_norm, &v->dec_out, h, error)))
    return NULL;
  return se_feature_unwrap (v->gpu, g_steal_pointer (&h), error);
}

SeTensor *
se_vae_decode (SeVae *v, const SeTensor *latent, GError **error)
{
  if (!check_image (latent, v->cfg.latent_channels, 1, "decode", error))
    return NULL;
  return per_image (v, latent, decode_one, error);
}
