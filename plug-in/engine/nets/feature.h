/* feature.h: a [B, C, H, W] feature map kept as channel parts, so that layers
 * wider than one storage binding (SD's VAE decoder at 512x512 holds
 * 256 x 512 x 512 fp32 maps, 256 MiB, over lavapipe's 128 MiB limit) still
 * run exactly: parts split on GroupNorm group boundaries, convolutions sum
 * over input parts (se_op_conv2d_part), everything else is per channel.  The
 * part count is the smallest power of two that makes each part fit; on
 * devices with large bindings it is 1 and this is a plain tensor. */
#pragma once

#include "blocks.h"

G_BEGIN_DECLS

#define SE_MAX_PARTS 32

typedef struct {
  guint n;
  gint64 B, C, H, W;                    /* the whole map; each part has C / n channels */
  SeTensor *part[SE_MAX_PARTS];
} SeFeature;

SeFeature *se_feature_new (SeGpu *gpu, SeDType dtype, gint64 B, gint64 C, gint64 H, gint64 W,
                           guint groups, GError **error);
/* Takes ownership of t as a one-part map. */
SeFeature *se_feature_wrap (SeTensor *t);
/* The map as one tensor (consumes f): the part itself, or a joined copy. */
SeTensor  *se_feature_unwrap (SeGpu *gpu, SeFeature *f, GError **error);
void       se_feature_free (SeFeature *f);
/* As se_tensor_replace, for feature maps. */
gboolean   se_feature_replace (SeFeature **x, SeFeature *next);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeFeature, se_feature_free)

SeFeature *se_feature_group_norm (SeGpu *gpu, const SeFeature *x, const SeAffine *norm,
                                  guint groups, float eps, gboolean silu, GError **error);
/* conv(x) + residual (NULL, or a map split like the output). */
SeFeature *se_feature_conv (SeGpu *gpu, const SeFeature *x, const SeAffine *conv, guint stride,
                            guint pad_begin, guint pad_end, guint groups, const SeFeature *residual,
                            GError **error);
/* conv(x upsampled 2x, nearest), stride 1, padding 1: the VAE decoder's
 * upsamplers. */
SeFeature *se_feature_upsample_conv (SeGpu *gpu, const SeFeature *x, const SeAffine *conv, guint groups,
                                     GError **error);

/* A VAE resnet (no time embedding) over parts. */
SeFeature *se_feature_resnet (SeGpu *gpu, const SeResnet *r, const SeFeature *x, guint groups,
                              float eps, GError **error);

G_END_DECLS
