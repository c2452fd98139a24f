/* feature.c: channel-part feature maps and the layers the VAE runs on them. */
#include "feature.h"

#include <glib/gi18n-lib.h>

SeFeature *
se_feature_new (SeGpu *gpu, SeDType dtype, gint64 B, gint64 C, gint64 H, gint64 W, guint groups,
                GError **error)
{
  VkDeviceSize range = gpu->info.max_storage_buffer_range;
  guint n = 1;
  while ((VkDeviceSize) (B * (C / n) * H * W) * se_dtype_size (dtype) > range &&
         n * 2 <= groups && n * 2 <= SE_MAX_PARTS && C % (n * 2) == 0)
    n *= 2;
  if ((VkDeviceSize) (B * (C / n) * H * W) * se_dtype_size (dtype) > range) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("a %lld x %lld feature map of %lld channels does not fit this device's "
                   "storage bindings even in %u parts; use a smaller image"),
                 (long long) H, (long long) W, (long long) C, n);
    return NULL;
  }
  g_autoptr (SeFeature) f = g_new0 (SeFeature, 1);
  *f = (SeFeature) { .n = n, .B = B, .C = C, .H = H, .W = W };
  for (guint i = 0; i < n; i++)
    if (!(f->part[i] = se_tensor_new_typed_dims (gpu, dtype, error, B, C / n, H, W)))
      return NULL;
  return g_steal_pointer (&f);
}

SeFeature *
se_feature_wrap (SeTensor *t)
{
  SeFeature *f = g_new0 (SeFeature, 1);
  *f = (SeFeature) { .n = 1, .B = t->shape[0], .C = t->shape[1], .H = t->shape[2], .W = t->shape[3] };
  f->part[0] = t;
  return f;
}

SeTensor *
se_feature_unwrap (SeGpu *gpu, SeFeature *f, GError **error)
{
  g_autoptr (SeFeature) owned = f;
  if (f->n == 1)
    return g_steal_pointer (&f->part[0]);
  g_autoptr (SeTensor) whole = se_tensor_new_typed_dims (gpu, f->part[0]->dtype, error, f->B, f->C, f->H, f->W);
  if (whole == NULL)
    return NULL;
  /* B is 1 wherever maps are split (the VAE runs per image): parts are
   * consecutive channel ranges of the whole */
  g_return_val_if_fail (f->B == 1, NULL);
  for (guint i = 0; i < f->n; i++) {
    g_autoptr (SeTensor) dst = se_tensor_view (whole, i * f->part[i]->numel, 4, f->part[i]->shape, error);
    if (dst == NULL || !se_op_copy (gpu, f->part[i], dst, error))
      return NULL;
  }
  return g_steal_pointer (&whole);
}

void
se_feature_free (SeFeature *f)
{
  if (f == NULL)
    return;
  for (guint i = 0; i < f->n; i++)
    se_tensor_free (f->part[i]);
  g_free (f);
}

gboolean
se_feature_replace (SeFeature **x, SeFeature *next)
{
  if (next == NULL)
    return FALSE;
  se_feature_free (*x);
  *x = next;
  return TRUE;
}

SeFeature *
se_feature_group_norm (SeGpu *gpu, const SeFeature *x, const SeAffine *norm, guint groups, float eps,
                       gboolean silu, GError **error)
{
  g_autoptr (SeFeature) out = g_new0 (SeFeature, 1);
  *out = (SeFeature) { .n = x->n, .B = x->B, .C = x->C, .H = x->H, .W = x->W };
  gint64 pc = x->C / x->n;
  for (guint i = 0; i < x->n; i++) {
    g_autoptr (SeTensor) g = se_tensor_view (norm->w, i * pc, 1, &pc, error);
    g_autoptr (SeTensor) b = se_tensor_view (norm->b, i * pc, 1, &pc, error);
    out->part[i] = se_tensor_new_typed (gpu, x->part[i]->dtype, 4, x->part[i]->shape, error);
    if (!g || !b || !out->part[i] ||
        !se_op_group_norm (gpu, x->part[i], g, b, groups / x->n, eps, silu, out->part[i], error))
      return NULL;
  }
  return g_steal_pointer (&out);
}

/* se_feature_conv of x, or of x upsampled 2x read in place (up). */
static SeFeature *
conv (SeGpu *gpu, const SeFeature *x, gboolean up, const SeAffine *conv, guint stride, guint pad_begin,
      guint pad_end, guint groups, const SeFeature *residual, GError **error)
{
  gint64 kh, kw;
  se_conv_kernel_size (conv->w, &kh, &kw);
  gint64 oh = se_conv_out_size (x->H << up, kh, stride, pad_begin, pad_end);
  gint64 ow = se_conv_out_size (x->W << up, kw, stride, pad_begin, pad_end);
  g_autoptr (SeFeature) out = se_feature_new (gpu, x->part[0]->dtype, x->B, conv->w->shape[0], oh, ow, groups, error);
  if (out == NULL)
    return NULL;
  if (residual && residual->n != out->n) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, "feature conv: residual in %u parts, output in %u",
                 residual->n, out->n);
    return NULL;
  }
  guint pin = (guint) (x->C / x->n), pout = (guint) (out->C / out->n);
  for (guint j = 0; j < out->n; j++)
    for (guint i = 0; i < x->n; i++) {
      SeConvPart part = { .stride = stride, .pad_begin = pad_begin, .pad_end = pad_end,
                          .cin_off = i * pin, .cout_off = j * pout, .accumulate = i > 0,
                          .residual = i == 0 && residual ? residual->part[j] : NULL, .upsample = up };
      if (!se_op_conv2d_part (gpu, x->part[i], conv->w, i == 0 ? conv->b : NULL, &part,
                              out->part[j], error))
        return NULL;
    }
  return g_steal_pointer (&out);
}

SeFeature *
se_feature_conv (SeGpu *gpu, const SeFeature *x, const SeAffine *c, guint stride, guint pad_begin,
                 guint pad_end, guint groups, const SeFeature *residual, GError **error)
{
  return conv (gpu, x, FALSE, c, stride, pad_begin, pad_end, groups, residual, error);
}

/* x upsampled 2x into new parts (more of them where the bigger map needs). */
static SeFeature *
upsample (SeGpu *gpu, const SeFeature *x, guint groups, GError **error)
{
  g_autoptr (SeFeature) out = se_feature_new (gpu, x->part[0]->dtype, x->B, x->C, 2 * x->H, 2 * x->W, groups, error);
  if (out == NULL)
    return NULL;
  /* doubling the side may need more parts: part i of x feeds parts
   * i * ratio .. i * ratio + ratio - 1 of out, channel slices of it */
  if (out->n < x->n) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, "upsample: fewer parts out than in");
    return NULL;
  }
  guint ratio = out->n / x->n;
  gint64 pc = out->C / out->n;
  for (guint j = 0; j < out->n; j++) {
    const SeTensor *src = x->part[j / ratio];
    g_autoptr (SeTensor) slice = se_tensor_view (src, (j % ratio) * (gsize) (pc * x->H * x->W), 4,
                                                 (gint64[]) { 1, pc, x->H, x->W }, error);
    if (slice == NULL || !se_op_upsample_nearest2x (gpu, slice, out->part[j], error))
      return NULL;
  }
  return g_steal_pointer (&out);
}

SeFeature *
se_feature_upsample_conv (SeGpu *gpu, const SeFeature *x, const SeAffine *c, guint groups, GError **error)
{
  /* in place where every input part's convolution reads it so (the output
   * parts' offsets are whole weight rows): the upsampled map (256 x 512 x
   * 512 in SD's decoder) is never made */
  gboolean in_place = TRUE;
  guint pin = (guint) (x->C / x->n);
  for (guint i = 0; i < x->n && in_place; i++) {
    SeConvPart part = { .cin_off = i * pin, .upsample = TRUE };
    in_place = se_conv_upsamples_in_place (gpu, c->w, pin, &part);
  }
  if (in_place)
    return conv (gpu, x, TRUE, c, 1, 1, 1, groups, NULL, error);
  g_autoptr (SeFeature) up = upsample (gpu, x, groups, error);
  return up ? conv (gpu, up, FALSE, c, 1, 1, 1, groups, NULL, error) : NULL;
}

SeFeature *
se_feature_resnet (SeGpu *gpu, const SeResnet *r, const SeFeature *x, guint groups, float eps,
                   GError **error)
{
  g_autoptr (SeFeature) h = se_feature_group_norm (gpu, x, &r->norm1, groups, eps, TRUE, error);
  g_autoptr (SeFeature) h1 = h ? se_feature_conv (gpu, h, &r->conv1, 1, 1, 1, groups, NULL, error) : NULL;
  g_clear_pointer (&h, se_feature_free);
  g_autoptr (SeFeature) h2 = h1 ? se_feature_group_norm (gpu, h1, &r->norm2, groups, eps, TRUE, error) : NULL;
  g_clear_pointer (&h1, se_feature_free);
  if (h2 == NULL)
    return NULL;
  g_autoptr (SeFeature) s = r->shortcut.w ? se_feature_conv (gpu, x, &r->shortcut, 1, 0, 0, groups, NULL, error)
                                          : NULL;
  if (r->shortcut.w && s == NULL)
    return NULL;
  return se_feature_conv (gpu, h2, &r->conv2, 1, 1, 1, groups, s ? s : x, error);
}
