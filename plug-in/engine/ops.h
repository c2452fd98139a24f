/* ops.h: one function per operator.  Each checks shapes, picks a pipeline
 * variant and records a dispatch with se_cmd_dispatch(); nothing runs until
 * se_cmd_submit() (or a download).  Networks call only these.
 *
 * Shapes are row-major; images are [B, C, H, W]; token sequences are
 * [B, L, C].  A shape mismatch is an SE_GPU_ERROR_INVALID naming the operator
 * and the shapes involved. */
#pragma once

#include "tensor.h"

G_BEGIN_DECLS

/* General batched matmul: C[z] = alpha * op(A[z]) * op(B[z]) + bias + residual. */
typedef struct {
  guint32 M, N, K, batch;
  guint32 lda, ldb, ldc;
  guint32 stride_a, stride_b, stride_c;
  gboolean trans_a;     /* A stored K x M (a feature map [C, HW] read as tokens) */
  gboolean trans_b;     /* B stored N x K (PyTorch Linear weight) */
  gboolean bias_per_row; /* bias has M entries instead of N */
  float alpha;
  guint32 off_a;        /* elements of A before batch 0's (a slice of a weight) */
  guint32 bias_off;     /* elements of bias before the first used */
  guint32 bias_stride;  /* per-batch bias: batch element z reads from z * bias_stride */
  const SeTensor *residual; /* shaped like C, added last; may be C itself */
} SeMatmulDesc;

gboolean se_op_matmul (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *bias,
                       SeTensor *c, const SeMatmulDesc *desc, GError **error);
/* x [..., K] times weight [N, K] transposed, plus bias [N] (may be NULL),
 * plus residual (x's rows by N, may be NULL or out itself). */
gboolean se_op_linear (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                       const SeTensor *bias, SeTensor *out, GError **error);
gboolean se_op_linear_residual (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                                const SeTensor *bias, const SeTensor *residual, SeTensor *out,
                                GError **error);
/* GEGLU feed-forward projection: x [..., K], weight [2N, K], bias [2N] ->
 * out [..., N] = (x W_v^T + b_v) * GELU(x W_g^T + b_g), value rows first.
 * One fused pass where the subgroup kernels run, otherwise a projection
 * and se_op_geglu. */
gboolean se_op_linear_geglu (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                             const SeTensor *bias, SeTensor *out, GError **error);
/* se_op_linear (or, with geglu, se_op_linear_geglu) of LayerNorm(x)
 * (gamma, beta [K], fp32): one pass where the tiled or coopmat kernels take
 * the product (each workgroup normalizes the rows it reads), otherwise
 * se_op_layer_norm into a temporary first. */
gboolean se_op_layer_norm_linear (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma, const SeTensor *beta,
                                  float eps, const SeTensor *weight, const SeTensor *bias, gboolean geglu,
                                  SeTensor *out, GError **error);
/* Whether the device's kernels fuse se_op_layer_norm_linear (for aligned
 * operands whose rows are multiples of 4). */
gboolean se_op_layer_norm_linear_fuses (SeGpu *gpu);
/* GroupNorm fused into its neighbours (fewer dispatches): the convolution
 * producing a map gathers its group statistics into a buffer
 * (se_group_stats_new, SeConvPart.stats), and the convolution or
 * projection consuming the normalized map reads the raw map and
 * normalizes it as it loads (SeConvPart.norm, se_op_tokens_from_map_norm). */
typedef struct {
  const SeTensor *stats;        /* the producer's statistics of x */
  const SeTensor *gamma, *beta;
  guint groups;
  float eps;
  gboolean silu;
} SeFusedGroupNorm;

/* 1x1 projections between feature maps and token sequences, fusing the
 * layout change into the product:
 *   tokens_from_map: x [B, C, H, W] -> out [B, H*W, O] = x^T W^T + bias, W [O, C]
 *   map_from_tokens: x [B, H*W, C] -> out [B, O, H, W] = W x^T + bias (+ residual,
 *                    shaped like out; may be NULL)
 * W may be [O, C] or a 1x1 conv kernel [O, C, 1, 1]. */
gboolean se_op_tokens_from_map (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                                const SeTensor *bias, SeTensor *out, GError **error);
/* se_op_tokens_from_map of GroupNorm(x) (no SiLU) with the statistics x's
 * producer gathered, normalized as the product reads x: where
 * se_op_tokens_from_map_fuses_norm says the kernels can (the tiled and
 * coopmat families), otherwise an error. */
gboolean se_op_tokens_from_map_norm (SeGpu *gpu, const SeTensor *x, const SeFusedGroupNorm *norm, const SeTensor *weight,
                                     const SeTensor *bias, SeTensor *out, GError **error);
gboolean se_op_tokens_from_map_fuses_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                                           const SeTensor *out);
gboolean se_op_map_from_tokens (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                                const SeTensor *bias, const SeTensor *residual, SeTensor *out,
                                GError **error);
/* a [B, M, K] times b [B, K, N] (or [B, N, K] when trans_b), scaled. */
gboolean se_op_bmm (SeGpu *gpu, const SeTensor *a, const SeTensor *b, gboolean trans_b,
                    float alpha, SeTensor *out, GError **error);

/* x [B, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout] or NULL;
 * zero padding of pad on every side. */
gboolean se_op_conv2d (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                       const SeTensor *bias, guint stride, guint pad,
                       SeTensor *out, GError **error);
/* The same with pad_begin zeros above and left, pad_end below and right
 * (the VAE encoder's downsampler pads (0, 1, 0, 1)). */
gboolean se_op_conv2d_asym (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                            const SeTensor *bias, guint stride, guint pad_begin,
                            guint pad_end, SeTensor *out, GError **error);

/* One channel part of a convolution: x holds input channels
 * [cin_off, cin_off + Cx) of the layer, out receives output channels
 * [cout_off, cout_off + Co); weight [O, C, KH, KW] and bias [O] are the whole
 * layer's (bias may be NULL, to add it only once).  With accumulate the
 * result is added to out.  Layers too wide for one storage binding run as a
 * sum of parts. */
/* The kernel height and width of a convolution weight (3 x 3 when packed). */
void   se_conv_kernel_size (const SeTensor *weight, gint64 *kh, gint64 *kw);
/* Output side of a convolution: (in + pad_begin + pad_end - kernel) / stride + 1. */
gint64 se_conv_out_size (gint64 in, gint64 kernel, guint stride, guint pad_begin, guint pad_end);


typedef struct {
  guint stride, pad_begin, pad_end;
  guint cin_off, cout_off;
  gboolean accumulate;          /* out += conv (the residual is out itself) */
  const SeTensor *residual;     /* shaped like out, added; NULL: none */
  guint bias_stride;            /* per-batch bias [B, O_all]: batch b reads from b * bias_stride */
  gboolean upsample;            /* convolves x upsampled 2x (nearest), read in place where the
                                 * kernels can, else made first */
  SeTensor *stats;              /* producer: out's statistics for stats_groups groups */
  guint stats_groups;
  const SeFusedGroupNorm *norm;       /* consumer: x normalized as it is read */
} SeConvPart;
/* A statistics buffer for GroupNorm with `groups` groups of a [B, C, H, W]
 * map. */
SeTensor *se_group_stats_new (SeGpu *gpu, gint64 batch, gint64 channels, guint groups, gint64 pixels,
                              GError **error);
/* TRUE when a convolution by weight over cin channels, as part says (its
 * stats and norm aside), can gather statistics and normalize its input:
 * the tiled and coopmat kernels on whole layers. */
gboolean se_conv_fuses_group_norm (SeGpu *gpu, const SeTensor *weight, guint cin, const SeConvPart *part);
gboolean se_op_conv2d_part (SeGpu *gpu, const SeTensor *x, const SeTensor *weight,
                            const SeTensor *bias, const SeConvPart *part, SeTensor *out,
                            GError **error);

/* TRUE when se_op_conv2d_part reads x upsampled in place for this weight,
 * cin input channels and part (no upsampled copy is made). */
gboolean  se_conv_upsamples_in_place (SeGpu *gpu, const SeTensor *weight, guint cin, const SeConvPart *part);
/* TRUE when the device's convolutions run faster on packed 3x3 kernels. */
gboolean  se_conv3x3_prefers_packed (SeGpu *gpu);

/* The variant of a coopmat kernel (given as its emulated variant,
 * SE_SHADER_MATMUL_CM or SE_SHADER_CONV2D_CM + flag bits) that runs with
 * the device's matrices (gpu->coopmat). */
SeShaderId se_coopmat_variant (SeGpu *gpu, SeShaderId emulated);

/* x [B, C, ...]: groups over channels, statistics over channels x positions. */
gboolean se_op_group_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma,
                           const SeTensor *beta, guint groups, float eps, gboolean silu,
                           SeTensor *out, GError **error);
/* The same over a and b joined along dimension 1 ([B, C1, ...] and [B, C2,
 * ...]), the joined tensor also written to cat: one pass for the UNet's
 * up-block resnets, which normalize their skip concatenation and whose
 * shortcut reads it. */
gboolean se_op_group_norm_concat (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *gamma,
                                  const SeTensor *beta, guint groups, float eps, gboolean silu, SeTensor *cat,
                                  SeTensor *out, GError **error);
/* Over the last dimension. */
gboolean se_op_layer_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma,
                           const SeTensor *beta, float eps, SeTensor *out, GError **error);
/* softmax(scale * x) over the last dimension. */
gboolean se_op_softmax (SeGpu *gpu, const SeTensor *x, float scale, SeTensor *out,
                        GError **error);

/* q [B, Lq, H*D], k and v [B, Lk, H*D] -> out [B, Lq, H*D]; scale 1/sqrt(D). */
gboolean se_op_attention (SeGpu *gpu, const SeTensor *q, const SeTensor *k,
                          const SeTensor *v, guint heads, gboolean causal,
                          SeTensor *out, GError **error);
/* The same with q, k and v read as columns of wider tensors: each is
 * [B, L, width] and holds the C channels from its col on (Q, K and V made
 * by one projection into [B, L, 3C], or K and V into [B, Lk, 2C]). */
typedef struct {
  const SeTensor *t;
  guint32 col;
} SeAttnInput;
gboolean se_op_attention_cols (SeGpu *gpu, SeAttnInput q, SeAttnInput k, SeAttnInput v, guint32 C,
                               guint heads, gboolean causal, SeTensor *out, GError **error);

/* q [B, Lq, H*D], k [B, Lk, H*D] -> probs [B, Lq, Lk] (fp32): the
 * attention probabilities softmax(q k^T / sqrt(D)) averaged over the heads;
 * Lk at most 512 (cross-attention: 77). */
gboolean se_op_attention_probs (SeGpu *gpu, const SeTensor *q, const SeTensor *k, guint heads,
                                SeTensor *probs, GError **error);
/* The same with k read from column k.col of a wider [B, Lk, width] tensor. */
gboolean se_op_attention_probs_cols (SeGpu *gpu, const SeTensor *q, SeAttnInput k, guint heads,
                                     SeTensor *probs, GError **error);

/* out = x (a copy on the device). */
gboolean se_op_copy (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);
/* A new tensor of x's type and shape holding a copy of it. */
SeTensor *se_op_clone (SeGpu *gpu, const SeTensor *x, GError **error);
/* A new tensor of x's shape in dtype holding x converted (rounded to the
 * nearest fp16, or widened to fp32); a copy when the types agree. */
SeTensor *se_op_cast (SeGpu *gpu, const SeTensor *x, SeDType dtype, GError **error);

/* Element-wise.  b may equal a's shape, a's leading dimensions (e.g. [B, C]
 * onto [B, C, H, W]) or a's trailing dimensions (e.g. [C] onto [B, L, C]).
 * out may be a itself. */
gboolean se_op_add (SeGpu *gpu, const SeTensor *a, const SeTensor *b, SeTensor *out, GError **error);
gboolean se_op_mul (SeGpu *gpu, const SeTensor *a, const SeTensor *b, SeTensor *out, GError **error);
gboolean se_op_scale (SeGpu *gpu, const SeTensor *a, float alpha, SeTensor *out, GError **error);
gboolean se_op_silu (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);
gboolean se_op_gelu (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);
gboolean se_op_quick_gelu (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);
/* x [..., 2N] -> out [..., N] = value * GELU(gate). */
gboolean se_op_geglu (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);

/* x [B, C, H, W] -> out [B, C, 2H, 2W]. */
gboolean se_op_upsample_nearest2x (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error);
/* t [B] -> out [B, dim], diffusers' Timesteps (max period 10000). */
gboolean se_op_timestep_embedding (SeGpu *gpu, const SeTensor *t, gboolean flip_sin_to_cos,
                                   float shift, SeTensor *out, GError **error);

G_END_DECLS
