/* blocks.c: resnet, transformer and attention blocks of SD 1.x. */
#include "blocks.h"

#include <stdarg.h>

#include "gpu/commands.h"

SeDType
se_weights_dtype_default (SeGpu *gpu)
{
  const char *force = g_getenv ("SE_WEIGHTS_FP32");
  if (force && *force && g_strcmp0 (force, "0") != 0)
    return SE_DTYPE_F32;
  return gpu->info.storage_16bit ? SE_DTYPE_F16 : SE_DTYPE_F32;
}

/* packed: a 3x3 kernel [O, C, 3, 3] stored packed */
static SeTensor *
load (SeLoader *l, guint ndim, const gint64 *shape, gboolean packed, const char *fmt, va_list ap)
{
  if (!l->ok || g_cancellable_set_error_if_cancelled (l->model->cancel, l->error)) {
    l->ok = FALSE;
    return NULL;
  }
  g_autofree char *name = g_strdup_vprintf (fmt, ap);
  SeDType dtype = ndim >= 2 ? l->matrix_dtype : SE_DTYPE_F32;
  SeTensor *t = packed ? se_model_files_upload_packed_3x3 (l->model, l->net, l->gpu, name, shape[0], shape[1],
                                                           dtype, l->error)
                       : se_model_files_upload (l->model, l->net, l->gpu, name, ndim, shape, dtype, l->error);
  if (t == NULL) {
    l->ok = FALSE;
    return NULL;
  }
  g_ptr_array_add (l->owned, t);
  return t;
}

SeTensor *
se_load_1d (SeLoader *l, gint64 n, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  SeTensor *t = load (l, 1, (gint64[]) { n }, FALSE, fmt, ap);
  va_end (ap);
  return t;
}

SeTensor *
se_load_2d (SeLoader *l, gint64 a, gint64 b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  SeTensor *t = load (l, 2, (gint64[]) { a, b }, FALSE, fmt, ap);
  va_end (ap);
  return t;
}

SeTensor *
se_load_4d (SeLoader *l, gint64 a, gint64 b, gint64 c, gint64 d, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  SeTensor *t = load (l, 4, (gint64[]) { a, b, c, d }, FALSE, fmt, ap);
  va_end (ap);
  return t;
}

/* The loaded tensors parts[0..n) (each [rows_i, cols], or vectors [rows_i])
 * stacked along their first dimension into one, in order: projections one
 * GEMM computes together.  The parts are copied on the device, then freed
 * (and set to NULL). */
static SeTensor *
stack_rows (SeLoader *l, SeTensor **parts, guint n)
{
  if (!l->ok)
    return NULL;
  gint64 rows = 0, cols = parts[0]->ndim == 2 ? parts[0]->shape[1] : 1;
  for (guint i = 0; i < n; i++)
    rows += parts[i]->shape[0];
  g_autoptr (SeTensor) t = parts[0]->ndim == 2
                         ? se_tensor_new_typed_dims (l->gpu, parts[0]->dtype, l->error, rows, cols)
                         : se_tensor_new_typed_dims (l->gpu, parts[0]->dtype, l->error, rows);
  l->ok = t != NULL;
  gsize at = 0;
  for (guint i = 0; i < n && l->ok; i++) {
    g_autoptr (SeTensor) dst = se_tensor_view (t, at, parts[i]->ndim, parts[i]->shape, l->error);
    l->ok = dst && se_op_copy (l->gpu, parts[i], dst, l->error);
    at += parts[i]->numel;
  }
  /* the copies run before the parts' memory can be used again */
  l->ok = l->ok && se_cmd_submit (l->gpu, l->error);
  for (guint i = 0; i < n; i++) {
    g_ptr_array_remove (l->owned, parts[i]);
    parts[i] = NULL;
  }
  if (!l->ok)
    return NULL;
  g_ptr_array_add (l->owned, t);
  return g_steal_pointer (&t);
}

/* n matrices [rows, cols] (prefix + names[i]) stacked into one [n rows,
 * cols] (attention's Q, K and V). */
static SeTensor *
load_stacked (SeLoader *l, gint64 rows, gint64 cols, const char *prefix, const char *const *names, guint n)
{
  SeTensor *parts[3] = { NULL };
  g_assert (n <= G_N_ELEMENTS (parts));
  for (guint i = 0; i < n; i++)
    parts[i] = se_load_2d (l, rows, cols, "%s%s", prefix, names[i]);
  return stack_rows (l, parts, n);
}

void
se_resnets_stack_time (SeLoader *l, SeResnet *const *resnets, guint n, SeAffine *time)
{
  if (!l->ok)
    return;
  g_autofree SeTensor **w = g_new0 (SeTensor *, n);
  g_autofree SeTensor **b = g_new0 (SeTensor *, n);
  g_autofree SeTensor **folded = g_new0 (SeTensor *, n);
  guint offset = 0;
  for (guint i = 0; i < n; i++) {
    w[i] = resnets[i]->time.w;
    b[i] = resnets[i]->time_bias;
    folded[i] = resnets[i]->time.b;
    resnets[i]->time_offset = offset;
    offset += resnets[i]->cout;
    resnets[i]->time = (SeAffine) { NULL, NULL };
    resnets[i]->time_bias = NULL;
  }
  time->w = stack_rows (l, w, n);
  time->b = stack_rows (l, b, n);
  /* the projection's own biases, folded into time_bias (by additions that
   * stack_rows' submission has run) */
  for (guint i = 0; i < n; i++)
    g_ptr_array_remove (l->owned, folded[i]);
}

static void
load_norm (SeLoader *l, SeAffine *a, guint c, const char *prefix, const char *name)
{
  a->w = se_load_1d (l, c, "%s%s.weight", prefix, name);
  a->b = se_load_1d (l, c, "%s%s.bias", prefix, name);
}

static void
load_linear (SeLoader *l, SeAffine *a, guint out, guint in, gboolean bias, const char *prefix,
             const char *name)
{
  a->w = se_load_2d (l, out, in, "%s%s.weight", prefix, name);
  a->b = bias ? se_load_1d (l, out, "%s%s.bias", prefix, name) : NULL;
}

static SeTensor *
load_conv3 (SeLoader *l, guint cout, guint cin, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  SeTensor *t = load (l, 4, (gint64[]) { cout, cin, 3, 3 }, se_conv3x3_prefers_packed (l->gpu), fmt, ap);
  va_end (ap);
  return t;
}

void
se_conv3_load (SeLoader *l, SeAffine *c, const char *prefix, guint cin, guint cout)
{
  c->w = load_conv3 (l, cout, cin, "%s.weight", prefix);
  c->b = se_load_1d (l, cout, "%s.bias", prefix);
}

/* Runs what loading recorded (the resnets' summed biases) with the queued
 * uploads, in one batch each. */
gboolean
se_loader_finish (SeLoader *l)
{
  if (l->ok && !se_cmd_submit (l->gpu, l->error))
    l->ok = FALSE;
  se_cmd_discard (l->gpu);     /* nothing, or a failed batch */
  return l->ok;
}

void
se_resnet_load (SeLoader *l, SeResnet *r, const char *prefix, guint cin, guint cout, guint temb_dim)
{
  r->cin = cin;
  r->cout = cout;
  load_norm (l, &r->norm1, cin, prefix, "norm1");
  g_autofree char *c1 = g_strconcat (prefix, "conv1", NULL);
  g_autofree char *c2 = g_strconcat (prefix, "conv2", NULL);
  se_conv3_load (l, &r->conv1, c1, cin, cout);
  if (temb_dim) {
    load_linear (l, &r->time, cout, temb_dim, TRUE, prefix, "time_emb_proj");
    if (l->ok) {
      r->time_bias = se_tensor_new_typed (l->gpu, SE_DTYPE_F32, 1, (gint64[]) { cout }, l->error);
      if (r->time_bias)
        g_ptr_array_add (l->owned, r->time_bias);
      l->ok = r->time_bias && se_op_add (l->gpu, r->time.b, r->conv1.b, r->time_bias, l->error);
    }
  }
  load_norm (l, &r->norm2, cout, prefix, "norm2");
  se_conv3_load (l, &r->conv2, c2, cout, cout);
  if (cin != cout) {
    r->shortcut.w = se_load_4d (l, cout, cin, 1, 1, "%sconv_shortcut.weight", prefix);
    r->shortcut.b = se_load_1d (l, cout, "%sconv_shortcut.bias", prefix);
  }
}

/* Intermediates take the type of the block's input: the UNet runs on the
 * device's activation precision, the VAE always in fp32 (vae.h). */
#define NEW(...) se_tensor_new_typed_dims (gpu, x->dtype, error, __VA_ARGS__)

/* out = conv(x) as part says (stride, padding, residual, per-sample bias
 * stride, x's normalization), with bias or, when NULL, the layer's own; a
 * new tensor.  gather: out's GroupNorm statistics for that many groups are
 * gathered into out->group_stats where the kernels fuse (0: none). */
static SeTensor *
conv_forward (SeGpu *gpu, const SeAffine *c, const SeTensor *x, const SeConvPart *part_in,
              const SeTensor *bias, guint gather, GError **error)
{
  gint64 kh, kw;
  se_conv_kernel_size (c->w, &kh, &kw);
  gint64 oh = se_conv_out_size (x->shape[2], kh, part_in->stride, part_in->pad_begin, part_in->pad_end);
  gint64 ow = se_conv_out_size (x->shape[3], kw, part_in->stride, part_in->pad_begin, part_in->pad_end);
  SeConvPart part = *part_in;
  g_autoptr (SeTensor) stats = NULL;
  if (gather && se_conv_fuses_group_norm (gpu, c->w, (guint) x->shape[1], &part)) {
    stats = se_group_stats_new (gpu, x->shape[0], c->w->shape[0], gather, MAX (oh, 1) * MAX (ow, 1), error);
    if (stats == NULL)
      return NULL;
    part.stats = stats;
    part.stats_groups = gather;
  }
  g_autoptr (SeTensor) out = NEW (x->shape[0], c->w->shape[0], MAX (oh, 1), MAX (ow, 1));
  if (out == NULL || !se_op_conv2d_part (gpu, x, c->w, bias ? bias : c->b, &part, out, error))
    return NULL;
  out->group_stats_groups = stats ? gather : 0;
  out->group_stats = g_steal_pointer (&stats);
  return g_steal_pointer (&out);
}

SeTensor *
se_conv_forward (SeGpu *gpu, const SeAffine *c, const SeTensor *x, guint stride, guint pad_begin,
                 guint pad_end, GError **error)
{
  return se_conv_forward_gather (gpu, c, x, stride, pad_begin, pad_end, 0, error);
}

SeTensor *
se_conv_forward_gather (SeGpu *gpu, const SeAffine *c, const SeTensor *x, guint stride, guint pad_begin,
                        guint pad_end, guint gather, GError **error)
{
  SeConvPart part = { .stride = stride, .pad_begin = pad_begin, .pad_end = pad_end };
  return conv_forward (gpu, c, x, &part, NULL, gather, error);
}

/* x's GroupNorm as a convolution's or projection's normalization of its
 * input (norm's affine, SiLU or not): *n, when x carries its statistics for
 * `groups` groups; else NULL (normalize first). */
static const SeFusedGroupNorm *
carried_norm (const SeTensor *x, const SeAffine *norm, guint groups, float eps, gboolean silu,
              SeFusedGroupNorm *n)
{
  if (x->group_stats == NULL || x->group_stats_groups != groups)
    return NULL;
  *n = (SeFusedGroupNorm) { x->group_stats, norm->w, norm->b, groups, eps, silu };
  return n;
}

/* The upsampling is the convolution's, read in place (se_op_conv2d_part). */
SeTensor *
se_upsample_forward (SeGpu *gpu, const SeAffine *conv, const SeTensor *x, GError **error)
{
  SeConvPart part = { .stride = 1, .pad_begin = 1, .pad_end = 1, .upsample = TRUE };
  g_autoptr (SeTensor) out = NEW (x->shape[0], conv->w->shape[0], 2 * x->shape[2], 2 * x->shape[3]);
  if (out == NULL || !se_op_conv2d_part (gpu, x, conv->w, conv->b, &part, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* The resnet from its input x (for the shortcut or the residual): h =
 * SiLU(norm1(x)), a new tensor it consumes, or NULL where conv1 normalizes
 * x as it reads it (x carries its statistics).  norm2 is fused where the
 * kernels can: conv1 gathers its statistics and conv2 normalizes as it
 * reads.  gather: as conv_forward's, for the output. */
static SeTensor *
resnet_from_norm1 (SeGpu *gpu, const SeResnet *r, const SeTensor *x, SeTensor *h_taken, const SeTensor *temb_proj,
                   guint groups, float eps, guint gather, GError **error)
{
  g_autoptr (SeTensor) h = h_taken;
  gint64 B = x->shape[0], H = x->shape[2], W = x->shape[3];
  /* fp32: conv1 reads its columns of the stacked projection as its bias */
  g_autoptr (SeTensor) t = temb_proj ? se_tensor_view (temb_proj, r->time_offset, 1,
                                                       (gint64[]) { (gint64) (temb_proj->numel - r->time_offset) },
                                                       error)
                                     : NULL;
  if (temb_proj && t == NULL)
    return NULL;
  SeFusedGroupNorm n1, n2;
  SeConvPart conv1 = { .stride = 1, .pad_begin = 1, .pad_end = 1,
                       .bias_stride = t ? (guint) temb_proj->shape[1] : 0,
                       .norm = h ? NULL : carried_norm (x, &r->norm1, groups, eps, TRUE, &n1) };
  g_return_val_if_fail (h || conv1.norm, NULL);
  SeConvPart conv2 = { .stride = 1, .pad_begin = 1, .pad_end = 1 };
  guint gather1 = se_conv_fuses_group_norm (gpu, r->conv2.w, r->cout, &conv2) ? groups : 0;
  g_autoptr (SeTensor) h1 = conv_forward (gpu, &r->conv1, h ? h : x, &conv1, t, gather1, error);
  if (h1 == NULL)
    return NULL;
  g_clear_pointer (&h, se_tensor_free);
  conv2.norm = carried_norm (h1, &r->norm2, groups, eps, TRUE, &n2);
  if (conv2.norm == NULL) {
    h = NEW (B, r->cout, H, W);
    if (h == NULL || !se_op_group_norm (gpu, h1, r->norm2.w, r->norm2.b, groups, eps, TRUE, h, error))
      return NULL;
    g_clear_pointer (&h1, se_tensor_free);
  }
  g_autoptr (SeTensor) s = r->shortcut.w ? se_conv_forward (gpu, &r->shortcut, x, 1, 0, 0, error) : NULL;
  if (r->shortcut.w && s == NULL)
    return NULL;
  conv2.residual = s ? s : x;
  return conv_forward (gpu, &r->conv2, h ? h : h1, &conv2, NULL, gather, error);
}

SeTensor *
se_resnet_forward (SeGpu *gpu, const SeResnet *r, const SeTensor *x, const SeTensor *temb_proj,
                   guint groups, float eps, gboolean gather, GError **error)
{
  SeFusedGroupNorm n;
  SeConvPart conv1 = { .stride = 1, .pad_begin = 1, .pad_end = 1 };
  if (carried_norm (x, &r->norm1, groups, eps, TRUE, &n) && se_conv_fuses_group_norm (gpu, r->conv1.w, r->cin, &conv1))
    return resnet_from_norm1 (gpu, r, x, NULL, temb_proj, groups, eps, gather ? groups : 0, error);
  SeTensor *h = NEW (x->shape[0], r->cin, x->shape[2], x->shape[3]);
  if (h == NULL || !se_op_group_norm (gpu, x, r->norm1.w, r->norm1.b, groups, eps, TRUE, h, error)) {
    se_tensor_free (h);
    return NULL;
  }
  return resnet_from_norm1 (gpu, r, x, h, temb_proj, groups, eps, gather ? groups : 0, error);
}

SeTensor *
se_resnet_forward_concat (SeGpu *gpu, const SeResnet *r, SeTensor *a_taken, SeTensor *b_taken,
                          const SeTensor *temb_proj, guint groups, float eps, gboolean gather, GError **error)
{
  g_autoptr (SeTensor) a = a_taken, b = b_taken;
  const SeTensor *x = a;
  g_autoptr (SeTensor) cat = NEW (a->shape[0], r->cin, a->shape[2], a->shape[3]);
  SeTensor *h = cat ? NEW (a->shape[0], r->cin, a->shape[2], a->shape[3]) : NULL;
  if (h == NULL ||
      !se_op_group_norm_concat (gpu, a, b, r->norm1.w, r->norm1.b, groups, eps, TRUE, cat, h, error)) {
    se_tensor_free (h);
    return NULL;
  }
  /* the joined copy holds them now: their memory serves the rest */
  g_clear_pointer (&a, se_tensor_free);
  g_clear_pointer (&b, se_tensor_free);
  return resnet_from_norm1 (gpu, r, cat, h, temb_proj, groups, eps, gather ? groups : 0, error);
}

void
se_transformer_load (SeLoader *l, SeTransformer *t, const char *prefix, guint c, guint heads,
                     guint context)
{
  t->channels = c;
  t->heads = heads;
  t->context = context;
  g_autofree char *blk = g_strconcat (prefix, "transformer_blocks.0.", NULL);
  load_norm (l, &t->norm, c, prefix, "norm");
  t->proj_in.w = se_load_4d (l, c, c, 1, 1, "%sproj_in.weight", prefix);
  t->proj_in.b = se_load_1d (l, c, "%sproj_in.bias", prefix);
  t->proj_out.w = se_load_4d (l, c, c, 1, 1, "%sproj_out.weight", prefix);
  t->proj_out.b = se_load_1d (l, c, "%sproj_out.bias", prefix);
  load_norm (l, &t->ln1, c, blk, "norm1");
  load_norm (l, &t->ln2, c, blk, "norm2");
  load_norm (l, &t->ln3, c, blk, "norm3");
  static const char *const qkv[] = { "attn1.to_q.weight", "attn1.to_k.weight", "attn1.to_v.weight" };
  static const char *const kv[] = { "attn2.to_k.weight", "attn2.to_v.weight" };
  t->qkv1 = load_stacked (l, c, c, blk, qkv, 3);
  load_linear (l, &t->out1, c, c, TRUE, blk, "attn1.to_out.0");
  t->q2 = se_load_2d (l, c, c, "%sattn2.to_q.weight", blk);
  t->kv2 = load_stacked (l, c, context, blk, kv, 2);
  load_linear (l, &t->out2, c, c, TRUE, blk, "attn2.to_out.0");
  load_linear (l, &t->ff1, 8 * c, c, TRUE, blk, "ff.net.0.proj");
  load_linear (l, &t->ff2, c, 4 * c, TRUE, blk, "ff.net.2");
}

/* h += out_proj(attention(Q, K, V)) for tokens h [B, L, C]: self-attention
 * (kv NULL) with Q, K and V of LN(h) by one projection (wq: [3C, C]
 * stacked), or cross-attention with Q of LN(h) (wq [C, C]) and the
 * context's keys and values kv [B, Lk, 2C]; *probs, when probs is not NULL,
 * a new fp32 [B, L, Lk] tensor of the attention probabilities averaged over
 * the heads. */
static gboolean
attention_residual (SeGpu *gpu, SeTensor *h, const SeAffine *ln, const SeTensor *wq, const SeTensor *kv,
                    const SeAffine *out, guint heads, SeTensor **probs, GError **error)
{
  gint64 B = h->shape[0], L = h->shape[1], C = h->shape[2];
  const SeTensor *x = h;
  gint64 Lk = kv ? kv->shape[1] : L;
  g_autoptr (SeTensor) q = NEW (B, L, kv ? C : 3 * C);
  if (q == NULL || !se_op_layer_norm_linear (gpu, h, ln->w, ln->b, 1e-5f, wq, NULL, FALSE, q, error))
    return FALSE;
  SeAttnInput qi = { q, 0 };
  SeAttnInput ki = kv ? (SeAttnInput) { kv, 0 } : (SeAttnInput) { q, (guint32) C };
  SeAttnInput vi = kv ? (SeAttnInput) { kv, (guint32) C } : (SeAttnInput) { q, 2 * (guint32) C };
  if (probs) {
    g_return_val_if_fail (kv != NULL, FALSE);   /* q is [B, L, C] */
    *probs = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, B, L, Lk);
    if (*probs == NULL || !se_op_attention_probs_cols (gpu, q, ki, heads, *probs, error))
      return FALSE;
  }
  g_autoptr (SeTensor) a = NEW (B, L, C);
  if (a == NULL || !se_op_attention_cols (gpu, qi, ki, vi, (guint32) C, heads, FALSE, a, error))
    return FALSE;
  g_clear_pointer (&q, se_tensor_free);
  return se_op_linear_residual (gpu, a, out->w, out->b, h, h, error);
}

/* The feed-forward's GEGLU projection is 8C wide ([4, 4096, 2560] at SD
 * 1.5's first level, 168 MB in fp32, over lavapipe's 128 MiB binding); it
 * is per token, so it runs over row chunks whose 8C-wide projection (made
 * only where the kernels do not fuse the gate) stays under FF_CHUNK_BYTES,
 * each chunk's result added into h in place by the last projection.  In
 * fp16 at batch 2 and 512x512 that is one chunk per transformer. */
#define FF_CHUNK_BYTES ((gsize) 64 << 20)

static gboolean
feed_forward (SeGpu *gpu, const SeTransformer *t, SeTensor *h, GError **error)
{
  gint64 C = t->channels, rows = h->shape[0] * h->shape[1];
  const SeTensor *x = h;
  /* the norm in each chunk's projection where the kernels fuse it, else
   * once over every row first */
  g_autoptr (SeTensor) ln = NULL;
  if (!se_op_layer_norm_linear_fuses (gpu)) {
    g_autoptr (SeTensor) rows_view = se_tensor_view (h, 0, 2, (gint64[]) { rows, C }, error);
    ln = NEW (rows, C);
    if (rows_view == NULL || ln == NULL ||
        !se_op_layer_norm (gpu, rows_view, t->ln3.w, t->ln3.b, 1e-5f, ln, error))
      return FALSE;
  }
  gint64 chunk = (gint64) (MIN (FF_CHUNK_BYTES, gpu->info.max_storage_buffer_range) /
                           (8 * (gsize) C * se_dtype_size (h->dtype)));
  chunk = MAX (chunk / 64 * 64, 64);       /* keeps view offsets aligned */
  for (gint64 r0 = 0; r0 < rows; r0 += chunk) {
    gint64 n = MIN (chunk, rows - r0);
    g_autoptr (SeTensor) hv = se_tensor_view (h, (gsize) (r0 * C), 2, (gint64[]) { n, C }, error);
    g_autoptr (SeTensor) in = ln ? se_tensor_view (ln, (gsize) (r0 * C), 2, (gint64[]) { n, C }, error) : NULL;
    g_autoptr (SeTensor) gated = NEW (n, 4 * C);
    if (!hv || (ln && !in) || !gated ||
        !(ln ? se_op_linear_geglu (gpu, in, t->ff1.w, t->ff1.b, gated, error)
             : se_op_layer_norm_linear (gpu, hv, t->ln3.w, t->ln3.b, 1e-5f, t->ff1.w, t->ff1.b, TRUE, gated,
                                        error)) ||
        !se_op_linear_residual (gpu, gated, t->ff2.w, t->ff2.b, hv, hv, error))
      return FALSE;
  }
  return TRUE;
}

SeTensor *
se_transformer_context_kv (SeGpu *gpu, const SeTransformer *t, const SeTensor *context, GError **error)
{
  const SeTensor *x = context;
  g_autoptr (SeTensor) kv = NEW (context->shape[0], context->shape[1], 2 * (gint64) t->channels);
  if (kv == NULL || !se_op_linear (gpu, context, t->kv2, NULL, kv, error))
    return NULL;
  return g_steal_pointer (&kv);
}

SeTensor *
se_transformer_forward (SeGpu *gpu, const SeTransformer *t, const SeTensor *x,
                        const SeTensor *kv, guint groups, SeTensor **cross_probs, GError **error)
{
  gint64 B = x->shape[0], C = t->channels, H = x->shape[2], W = x->shape[3], L = H * W;
  g_autoptr (SeTensor) h = NEW (B, L, C);
  if (h == NULL)
    return NULL;
  /* the norm in the projection where x carries its statistics */
  SeFusedGroupNorm fused;
  const SeFusedGroupNorm *norm = carried_norm (x, &t->norm, groups, 1e-6f, FALSE, &fused);
  if (norm && se_op_tokens_from_map_fuses_norm (gpu, x, t->proj_in.w, h)) {
    if (!se_op_tokens_from_map_norm (gpu, x, norm, t->proj_in.w, t->proj_in.b, h, error))
      return NULL;
  } else {
    g_autoptr (SeTensor) n = NEW (B, C, H, W);
    if (n == NULL || !se_op_group_norm (gpu, x, t->norm.w, t->norm.b, groups, 1e-6f, FALSE, n, error) ||
        !se_op_tokens_from_map (gpu, n, t->proj_in.w, t->proj_in.b, h, error))
      return NULL;
  }
  if (!attention_residual (gpu, h, &t->ln1, t->qkv1, NULL, &t->out1, t->heads, NULL, error) ||
      !attention_residual (gpu, h, &t->ln2, t->q2, kv, &t->out2, t->heads, cross_probs, error))
    return NULL;
  if (!feed_forward (gpu, t, h, error))
    return NULL;
  g_autoptr (SeTensor) out = NEW (B, C, H, W);
  if (out == NULL || !se_op_map_from_tokens (gpu, h, t->proj_out.w, t->proj_out.b, x, out, error))
    return NULL;
  return g_steal_pointer (&out);
}

void
se_vae_attention_load (SeLoader *l, SeVaeAttention *a, const char *prefix, guint c)
{
  a->channels = c;
  load_norm (l, &a->norm, c, prefix, "group_norm");
  load_linear (l, &a->q, c, c, TRUE, prefix, "to_q");
  load_linear (l, &a->k, c, c, TRUE, prefix, "to_k");
  load_linear (l, &a->v, c, c, TRUE, prefix, "to_v");
  load_linear (l, &a->out, c, c, TRUE, prefix, "to_out.0");
}

SeTensor *
se_vae_attention_forward (SeGpu *gpu, const SeVaeAttention *a, const SeTensor *x, guint groups,
                          GError **error)
{
  gint64 B = x->shape[0], C = a->channels, H = x->shape[2], W = x->shape[3], L = H * W;
  g_autoptr (SeTensor) n = NEW (B, C, H, W);
  if (n == NULL || !se_op_group_norm (gpu, x, a->norm.w, a->norm.b, groups, 1e-6f, FALSE, n, error))
    return NULL;
  g_autoptr (SeTensor) q = NEW (B, L, C);
  g_autoptr (SeTensor) k = NEW (B, L, C);
  g_autoptr (SeTensor) v = NEW (B, L, C);
  if (q == NULL || k == NULL || v == NULL ||
      !se_op_tokens_from_map (gpu, n, a->q.w, a->q.b, q, error) ||
      !se_op_tokens_from_map (gpu, n, a->k.w, a->k.b, k, error) ||
      !se_op_tokens_from_map (gpu, n, a->v.w, a->v.b, v, error))
    return NULL;
  g_clear_pointer (&n, se_tensor_free);
  g_autoptr (SeTensor) att = NEW (B, L, C);
  if (att == NULL || !se_op_attention (gpu, q, k, v, 1, FALSE, att, error))
    return NULL;
  g_clear_pointer (&q, se_tensor_free);
  g_clear_pointer (&k, se_tensor_free);
  g_clear_pointer (&v, se_tensor_free);
  g_autoptr (SeTensor) out = NEW (B, C, H, W);
  if (out == NULL || !se_op_map_from_tokens (gpu, att, a->out.w, a->out.b, x, out, error))
    return NULL;
  return g_steal_pointer (&out);
}
