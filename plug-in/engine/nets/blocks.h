/* blocks.h: the building blocks the Stable Diffusion networks share, each a
 * weight struct loaded once by name and a forward function made of ops.
 *
 * Forward functions take their input without consuming it and return a new
 * tensor (NULL with error set on failure).  Intermediates are freed as soon
 * as their last reader is recorded: the allocator hands their ranges to later
 * tensors, and the recorder's hazard tracking orders the reuse, so an
 * evaluation's memory stays near its widest point rather than its sum. */
#pragma once

#include "ops.h"
#include "weights/model.h"

G_BEGIN_DECLS

/* Loads weights by name, checking shapes; the first failure is kept and
 * later calls do nothing, so a load function checks ok once at the end.
 * Matrices and kernels (2-D and 4-D) are stored as matrix_dtype, vectors
 * (norms, biases) always as fp32. */
typedef struct {
  const SeModelFiles *model;
  SeNet net;
  SeGpu *gpu;
  SeDType matrix_dtype;
  GPtrArray *owned;     /* every tensor loaded, freed with the network */
  GError **error;
  gboolean ok;
} SeLoader;

/* Ends a network's load: runs the queued uploads and what loading recorded;
 * TRUE when everything loaded.  3x3 kernels are packed on the host as they
 * load where the device's kernels want them packed. */
gboolean se_loader_finish (SeLoader *l);

/* fp16 where the device has 16-bit storage (half the memory: about 2 GB for
 * SD 1.5's three networks), unless SE_WEIGHTS_FP32=1; fp32 otherwise. */
SeDType se_weights_dtype_default (SeGpu *gpu);

SeTensor *se_load_1d (SeLoader *l, gint64 n, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
SeTensor *se_load_2d (SeLoader *l, gint64 a, gint64 b, const char *fmt, ...) G_GNUC_PRINTF (4, 5);
SeTensor *se_load_4d (SeLoader *l, gint64 a, gint64 b, gint64 c, gint64 d, const char *fmt, ...)
  G_GNUC_PRINTF (6, 7);

typedef struct {
  SeTensor *w, *b;
} SeAffine;               /* a norm's gamma/beta, or a layer's weight/bias */

typedef struct {
  guint cin, cout;
  SeAffine norm1, conv1, time, norm2, conv2, shortcut;  /* time, shortcut optional */
  SeTensor *time_bias;  /* time.b + conv1.b: the projected time embedding is
                         * conv1's per-sample bias (one pass, no separate add) */
  guint time_offset;    /* its columns in the network's stacked projection */
} SeResnet;

/* temb_dim 0: no time projection (the VAE's resnets). */
void se_resnet_load (SeLoader *l, SeResnet *r, const char *prefix, guint cin, guint cout, guint temb_dim);
/* Every resnet's time projection stacked into one (time: [sum cout,
 * temb_dim] and its bias with conv1's folded in), so that one GEMM projects
 * the time embedding for all of them; each resnet's own is freed and its
 * time_offset set. */
void se_resnets_stack_time (SeLoader *l, SeResnet *const *resnets, guint n, SeAffine *time);
/* temb_proj: the stacked projection of SiLU(time embedding) [B, sum cout]
 * (se_resnets_stack_time), or NULL.  x's norm1 is fused into conv1 where x
 * carries its statistics (SeTensor.group_stats); gather: the output's are
 * gathered where the kernels fuse (what follows normalizes it). */
SeTensor *se_resnet_forward (SeGpu *gpu, const SeResnet *r, const SeTensor *x,
                             const SeTensor *temb_proj, guint groups, float eps, gboolean gather,
                             GError **error);
/* The same on a and b joined along the channels (the up path's skip
 * concatenation), joined and normalized in one pass; consumes a and b. */
SeTensor *se_resnet_forward_concat (SeGpu *gpu, const SeResnet *r, SeTensor *a, SeTensor *b,
                                    const SeTensor *temb_proj, guint groups, float eps, gboolean gather,
                                    GError **error);

/* diffusers Transformer2DModel with one BasicTransformerBlock, 1x1-conv
 * projections: self-attention, cross-attention, GEGLU feed-forward. */
typedef struct {
  guint channels, heads, context;
  SeAffine norm, proj_in, proj_out, ln1, ln2, ln3, out1, out2, ff1, ff2;
  SeTensor *qkv1;       /* self-attention's Q, K and V weights stacked [3C, C] */
  SeTensor *q2, *kv2;   /* cross-attention's Q [C, C]; K and V stacked [2C, context] */
} SeTransformer;

void se_transformer_load (SeLoader *l, SeTransformer *t, const char *prefix, guint channels,
                          guint heads, guint context);
/* The cross-attention's keys and values of a context [B, Lk, context]: a
 * new [B, Lk, 2C] tensor (K, then V, per token), the same for every
 * evaluation with that context. */
SeTensor *se_transformer_context_kv (SeGpu *gpu, const SeTransformer *t, const SeTensor *context,
                                     GError **error);
/* kv: the context's keys and values (se_transformer_context_kv).
 * cross_probs: NULL, or receives a new fp32 [B, H*W, Lk] tensor of the
 * cross-attention's probabilities averaged over its heads (even on
 * failure: the caller frees it). */
/* x's GroupNorm is fused into proj_in where x carries its statistics. */
SeTensor *se_transformer_forward (SeGpu *gpu, const SeTransformer *t, const SeTensor *x,
                                  const SeTensor *kv, guint groups, SeTensor **cross_probs, GError **error);

/* The VAE's single-head spatial self-attention. */
typedef struct {
  guint channels;
  SeAffine norm, q, k, v, out;
} SeVaeAttention;

void se_vae_attention_load (SeLoader *l, SeVaeAttention *a, const char *prefix, guint channels);
SeTensor *se_vae_attention_forward (SeGpu *gpu, const SeVaeAttention *a, const SeTensor *x,
                                    guint groups, GError **error);

/* A 3x3 convolution layer (weight [cout, cin, 3, 3] + bias), its kernel
 * packed where the device prefers (se_conv3x3_prefers_packed). */
void se_conv3_load (SeLoader *l, SeAffine *c, const char *prefix, guint cin, guint cout);
/* out = conv(x) with the given stride and padding; a new tensor. */
SeTensor *se_conv_forward (SeGpu *gpu, const SeAffine *c, const SeTensor *x, guint stride,
                           guint pad_begin, guint pad_end, GError **error);
/* The same, gathering out's GroupNorm statistics for `groups` groups
 * (SeTensor.group_stats) where the kernels fuse: the next block
 * normalizes out as it reads it. */
SeTensor *se_conv_forward_gather (SeGpu *gpu, const SeAffine *c, const SeTensor *x, guint stride,
                                  guint pad_begin, guint pad_end, guint groups, GError **error);
/* nearest 2x, then the 3x3 conv */
SeTensor *se_upsample_forward (SeGpu *gpu, const SeAffine *conv, const SeTensor *x, GError **error);

G_END_DECLS
