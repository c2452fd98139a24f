/* ops-gemm.c: the operators that are GEMMs: matmul and its layouts (Linear,
 * the 1x1 projections between feature maps and tokens, bmm, GEGLU
 * projections) and convolutions (implicit GEMM, 3x3 kernels packed for the
 * subgroup kernels, 1x1 as a matmul), each dispatched to the device's kernel
 * family (SeKernels) or, for shapes that family does not take, to the
 * reference kernels. */
#include "ops-private.h"

#include "gpu/tuning.h"

#include <string.h>

/* The reference kernels' GEMM tiling for matmul and conv2d, 64 x 64 outputs
 * per workgroup with K staged 16 at a time (8 KiB of shared memory: fits
 * every device): GPUs run 16 x 16 threads of 4 x 4 outputs; CPU devices
 * (lavapipe), where every barrier switches coroutines, run 8 x 8 threads of
 * 8 x 8 outputs, 1.85x faster there (bench-ops).  Spec constants: workgroup
 * x, y, TM, TN, BK. */
static const guint32 gemm_spec_gpu[] = { 16, 16, 4, 4, 16 };
static const guint32 gemm_spec_cpu[] = { 8, 8, 8, 8, 16 };
#define GEMM_BM 64
#define GEMM_BN 64

/* SE_GEMM_TILE=gpu or cpu forces one tiling (tests run both on lavapipe). */
static const guint32 *
gemm_spec (SeGpu *gpu)
{
  const char *force = g_getenv ("SE_GEMM_TILE");
  if (force && g_str_equal (force, "gpu"))
    return gemm_spec_gpu;
  if (force && g_str_equal (force, "cpu"))
    return gemm_spec_cpu;
  return gpu->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? gemm_spec_cpu : gemm_spec_gpu;
}

/* Whether t holds batch matrices of rows x cols (leading dimension ld,
 * batch stride) from element offset on. */
static gboolean
fits (const SeTensor *t, guint32 offset, guint32 batch, guint32 stride, guint32 rows, guint32 ld,
      guint32 cols)
{
  guint64 last = offset + (guint64) (batch - 1) * stride + (guint64) (rows - 1) * ld + cols;
  return last <= t->numel;
}

static gboolean
all_multiples_of_4 (const guint32 *v, guint n)
{
  for (guint i = 0; i < n; i++)
    if (v[i] % 4 != 0)
      return FALSE;
  return TRUE;
}

/* Rows of C per subgroup workgroup: up to 4 SG (measured best on lavapipe),
 * fewer for short products; a multiple of 4 SG when A is stored K x M. */
static guint32
matmul_rows (SeGpu *gpu, const SeMatmulDesc *d)
{
  guint32 sg = SG (gpu), full = 4 * sg;
  if (d->trans_a)
    return full;
  return MIN (full, (d->M + sg - 1) / sg * sg);
}

/* Whether the fast families take this matmul: they load four elements at a
 * time along each operand's rows. */
static gboolean
matmul_fast (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *c, const SeMatmulDesc *d)
{
  guint32 v[] = { d->N, d->K, d->lda, d->ldb, d->ldc, d->stride_a, d->stride_b, d->stride_c,
                  d->off_a, d->trans_a ? d->M : 0 };
  return gpu->kernels != SE_KERNELS_REFERENCE && all_multiples_of_4 (v, G_N_ELEMENTS (v)) &&
         se_ops_vec4_aligned (a) && se_ops_vec4_aligned (b) && se_ops_vec4_aligned (c) && se_ops_vec4_aligned (d->residual);
}

/* The tiled kernels' GEMM blocks (spec constants 0-4: workgroup x, y, TM,
 * TN, BK), both 256 threads stepping K by 16 through double-buffered shared
 * memory: 128 x 128 outputs (8 x 8 per thread, 32 KiB of shared memory)
 * where a product has enough such blocks to occupy a large GPU (about one
 * per multiprocessor), 64 x 64 (4 x 4 per thread, 16 KiB) otherwise; a
 * fused LayerNorm adds 8 bytes per block row (matmul_io.glsl). */
static const guint32 tiled_big[] = { 16, 16, 8, 8, 16 };
static const guint32 tiled_small[] = { 16, 16, 4, 4, 16 };
#define TILED_SPEC 5
#define TILED_BIG_BLOCKS 128

static const guint32 *
tiled_blocks (SeGpu *gpu, guint32 M, guint32 N, guint32 batch, gboolean ln)
{
  guint64 big = (guint64) ((M + 127) / 128) * ((N + 127) / 128) * batch;
  guint32 shared = 32768 + (ln ? 128 * 8 : 0);
  return big >= TILED_BIG_BLOCKS && gpu->info.max_shared_memory >= shared ? tiled_big : tiled_small;
}

/* The coopmat kernels' blocks: warps, the warps' grid rows WM, and each
 * warp's 16x16 tiles TM x TN (gemm_coopmat.glsl), K staged BK at a time
 * (halved where the device's shared memory is short).  The tuning table
 * (gpu/tuning.h) picks one per product; SE_COOPMAT_BLOCK=0, 1 or 2 forces
 * one (gpu->coopmat_block; tests and the self-check run each). */
typedef struct {
  guint32 warps, wm, tm, tn, bk;
} CoopmatBlock;
static const CoopmatBlock coopmat_blocks[SE_COOPMAT_BLOCKS] = {
  { 8, 2, 4, 2, 32 },   /* 128 x 128 */
  { 4, 2, 2, 2, 32 },   /* 64 x 64 */
  { 1, 1, 2, 2, 32 },   /* 32 x 32 */
};
#define COOPMAT_SPEC 6

/* The block's spec constants for the device (FALSE: it does not fit);
 * ln: with a fused LayerNorm (8 more bytes of shared memory per row). */
static gboolean
coopmat_spec (SeGpu *gpu, const CoopmatBlock *b, gboolean ln, guint32 spec[COOPMAT_SPEC], guint32 *bm,
              guint32 *bn)
{
  guint32 lanes = se_coopmat_lanes (gpu);
  guint32 threads = b->warps * lanes, wn = b->warps / b->wm;
  *bm = b->wm * b->tm * 16;
  *bn = wn * b->tn * 16;
  for (guint32 bk = b->bk; bk >= 16; bk /= 2) {
    guint32 shared = (*bm + *bn) * (bk + 8) * 2 + b->warps * 16 * 32 * 4 + (ln ? *bm * 8 : 0);
    if (threads <= gpu->info.max_workgroup_invocations && shared <= gpu->info.max_shared_memory &&
        (*bm * bk / 4) % threads == 0 && (*bn * bk / 4) % threads == 0) {
      guint32 s[COOPMAT_SPEC] = { threads, lanes, b->wm, b->tm, b->tn, bk };
      memcpy (spec, s, sizeof s);
      return TRUE;
    }
  }
  return FALSE;
}

/* Picks the block for an M x N product of batch `batch`: the forced one,
 * else the tuning table's or, where that does not fit, the next smaller. */
static gboolean
coopmat_block (SeGpu *gpu, SeTuningOp op, guint32 M, guint32 N, guint32 batch, gboolean ln,
               guint32 spec[COOPMAT_SPEC], guint32 *bm, guint32 *bn)
{
  if (gpu->coopmat_block < G_N_ELEMENTS (coopmat_blocks))
    return coopmat_spec (gpu, &coopmat_blocks[gpu->coopmat_block], ln, spec, bm, bn);
  for (guint i = se_tuning_block (gpu, op, (guint64) M * N * batch); i < G_N_ELEMENTS (coopmat_blocks); i++)
    if (coopmat_spec (gpu, &coopmat_blocks[i], ln, spec, bm, bn))
      return TRUE;
  return FALSE;
}

/* shaders/meson.build lists the coopmat families kind by kind (emulated,
 * NV, KHR), each kind's families in one order: a kind is one offset away. */
#define COOPMAT_KIND_STRIDE (SE_SHADER_MATMUL_CM_NV - SE_SHADER_MATMUL_CM)
G_STATIC_ASSERT (SE_SHADER_CONV2D_CM_NV - SE_SHADER_CONV2D_CM == COOPMAT_KIND_STRIDE);
G_STATIC_ASSERT (SE_SHADER_ATTENTION_CM_NV - SE_SHADER_ATTENTION_CM == COOPMAT_KIND_STRIDE);
#ifdef SE_HAVE_COOPMAT_KHR
G_STATIC_ASSERT (SE_SHADER_MATMUL_CM_KHR - SE_SHADER_MATMUL_CM_NV == COOPMAT_KIND_STRIDE);
G_STATIC_ASSERT (SE_SHADER_ATTENTION_CM_KHR - SE_SHADER_ATTENTION_CM_NV == COOPMAT_KIND_STRIDE);
#endif

guint32
se_coopmat_lanes (SeGpu *gpu)
{
  return gpu->coopmat == SE_COOPMAT_EMULATED ? 32 : SG (gpu);
}

SeShaderId
se_coopmat_variant (SeGpu *gpu, SeShaderId emulated)
{
  guint kind = gpu->coopmat == SE_COOPMAT_KHR ? 2 : gpu->coopmat == SE_COOPMAT_NV ? 1 : 0;
  return (SeShaderId) (emulated + kind * COOPMAT_KIND_STRIDE);
}

/* Checks a matmul's operands; n_b is the number of rows of B it reads (2N
 * for a GEGLU projection). */
static gboolean
matmul_check (const SeTensor *a, const SeTensor *b, const SeTensor *bias, const SeTensor *c,
              const SeMatmulDesc *d, guint32 n_b, GError **error)
{
  if (d->M == 0 || d->N == 0 || d->K == 0 || d->batch == 0)
    return se_ops_invalid (error, "matmul", "empty product %u x %u x %u, batch %u", d->M, d->N, d->K, d->batch);
  if (!fits (a, d->off_a, d->batch, d->stride_a, d->trans_a ? d->K : d->M, d->lda, d->trans_a ? d->M : d->K))
    return se_ops_invalid (error, "matmul", "A of %zu elements is too small for %u x %u (lda %u, offset %u, batch %u)",
                           a->numel, d->M, d->K, d->lda, d->off_a, d->batch);
  if (!fits (b, 0, d->batch, d->stride_b, d->trans_b ? n_b : d->K, d->ldb, d->trans_b ? d->K : n_b))
    return se_ops_invalid (error, "matmul", "B of %zu elements is too small for %u x %u (ldb %u, batch %u)",
                           b->numel, d->K, n_b, d->ldb, d->batch);
  if (!fits (c, 0, d->batch, d->stride_c, d->M, d->ldc, d->N))
    return se_ops_invalid (error, "matmul", "C of %zu elements is too small for %u x %u (ldc %u, batch %u)",
                           c->numel, d->M, d->N, d->ldc, d->batch);
  if (d->residual && d->residual->numel < c->numel)
    return se_ops_invalid (error, "matmul", "the residual has %zu elements, C %zu", d->residual->numel, c->numel);
  gboolean c16;
  if (!se_ops_all_f32 ("matmul", error, bias, NULL, NULL, NULL) ||
      !se_ops_activations ("matmul", error, &c16, c, d->residual, NULL, NULL))
    return FALSE;
  guint32 per_batch = d->bias_per_row ? d->M : n_b;
  gsize bias_len = (gsize) d->bias_off + (gsize) (d->batch - 1) * d->bias_stride + per_batch;
  if (bias && bias->numel < bias_len)
    return se_ops_invalid (error, "matmul", "bias has %zu elements, expected %zu", bias->numel, bias_len);
  return TRUE;
}

typedef struct {
  guint32 M, N, K, lda, ldb, ldc, sa, sb, sc, trans_a, trans_b, bias_mode;
  float alpha;
  guint32 off_a, bias_off, bias_stride, residual;
  float ln_eps;         /* the tiled and coopmat kernels' fused LayerNorm or GroupNorm */
  guint32 gn_groups;    /* their fused GroupNorm of A (stored K x M) */
} MatmulPush;

/* A LayerNorm fused into a matmul's A (the tiled and coopmat kernels). */
typedef struct {
  const SeTensor *gamma, *beta;
  float eps;
} FusedNorm;

/* ln: NULL, or the LayerNorm of A's rows (only where matmul_fast holds, A
 * stored M x K, and the tiled or coopmat kernels run); gn: NULL, or the
 * GroupNorm of A's channels (the same, A stored K x M, no SiLU). */
static gboolean
matmul_dispatch (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *bias,
                 SeTensor *c, const SeMatmulDesc *d, gboolean geglu, const FusedNorm *ln, const SeFusedGroupNorm *gn,
                 GError **error)
{
  MatmulPush push = { d->M, d->N, d->K, d->lda, d->ldb, d->ldc, d->stride_a, d->stride_b, d->stride_c,
                      d->trans_a ? 1 : 0, d->trans_b ? 1 : 0, bias ? (d->bias_per_row ? 2 : 1) : 0,
                      d->alpha, d->off_a, d->bias_off, d->bias_stride, d->residual ? 1 : 0,
                      ln ? ln->eps : gn ? gn->eps : 0.0f, gn ? gn->groups : 0 };
  /* the tiled and coopmat kernels take 8 (the norm's gamma, beta and
   * GroupNorm statistics last) */
  const SeTensor *gamma = ln ? ln->gamma : gn ? gn->gamma : a, *beta = ln ? ln->beta : gn ? gn->beta : a;
  SeBinding bind[] = { BIND_R (a), BIND_R (b), BIND_R (bias ? bias : a),
                       BIND_R (d->residual ? d->residual : c), BIND_W (c),
                       BIND_R (gamma), BIND_R (beta), BIND_R (gn ? gn->stats : a) };
  g_return_val_if_fail (ln == NULL || (TILED_KERNELS (gpu) && !d->trans_a && matmul_fast (gpu, a, b, c, d)), FALSE);
  g_return_val_if_fail (gn == NULL || (TILED_KERNELS (gpu) && d->trans_a && !gn->silu && !ln &&
                                       matmul_fast (gpu, a, b, c, d)), FALSE);
  /* flags: a16, b16, c16 */
  guint bits = (a->dtype == SE_DTYPE_F16 ? 1 : 0) | (b->dtype == SE_DTYPE_F16 ? 2 : 0) |
               (c->dtype == SE_DTYPE_F16 ? 4 : 0);
  guint32 spec_cm[COOPMAT_SPEC + 4], bm, bn;
  if (matmul_fast (gpu, a, b, c, d) && gpu->kernels == SE_KERNELS_COOPMAT && c->dtype == SE_DTYPE_F16 &&
      coopmat_block (gpu, SE_TUNING_GEMM, d->M, geglu ? 2 * d->N : d->N, d->batch, ln != NULL, spec_cm, &bm, &bn)) {
    /* GEGLU: each 32 block columns are 16 outputs' values, then their gates */
    guint32 cols = geglu ? bn / 2 : bn;
    spec_cm[COOPMAT_SPEC] = d->trans_a ? 1 : 0;
    spec_cm[COOPMAT_SPEC + 1] = d->trans_b ? 0 : 1;
    spec_cm[COOPMAT_SPEC + 2] = geglu ? 1 : 0;
    spec_cm[COOPMAT_SPEC + 3] = ln ? 1 : 0;
    /* flags: a16, b16 (C is fp16) */
    return se_ops_dispatch (gpu, se_coopmat_variant (gpu, VARIANT (SE_SHADER_MATMUL_CM, bits & 3)), spec_cm,
                            G_N_ELEMENTS (spec_cm), bind, G_N_ELEMENTS (bind), &push, sizeof push,
                            (d->N + cols - 1) / cols,
                            (d->M + bm - 1) / bm, d->batch, error);
  }
  if (matmul_fast (gpu, a, b, c, d) && TILED_KERNELS (gpu)) {
    /* GEGLU: a block's columns are half values, half their gates */
    guint32 n_b = geglu ? 2 * d->N : d->N;
    const guint32 *blocks = tiled_blocks (gpu, d->M, n_b, d->batch, ln != NULL);
    guint32 bm = blocks[1] * blocks[2], bn = blocks[0] * blocks[3], cols = geglu ? bn / 2 : bn;
    guint32 spec[TILED_SPEC + 4];
    memcpy (spec, blocks, TILED_SPEC * sizeof *spec);
    spec[TILED_SPEC] = d->trans_a ? 1 : 0;
    spec[TILED_SPEC + 1] = d->trans_b ? 0 : 1;
    spec[TILED_SPEC + 2] = geglu ? 1 : 0;
    spec[TILED_SPEC + 3] = ln ? 1 : 0;
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_MATMUL_TILED, bits), spec, G_N_ELEMENTS (spec), bind,
                            G_N_ELEMENTS (bind), &push, sizeof push, (d->N + cols - 1) / cols, (d->M + bm - 1) / bm, d->batch, error);
  }
  if (matmul_fast (gpu, a, b, c, d)) {
    SeShaderId variant = VARIANT (SE_SHADER_MATMUL_SG, bits);
    guint32 rows = matmul_rows (gpu, d), cols = 4 * SG (gpu);
    guint32 spec[] = { SG (gpu), rows, d->trans_a ? 1 : 0, d->trans_b ? 0 : 1, geglu ? 1 : 0 };
    return se_ops_dispatch (gpu, variant, spec, G_N_ELEMENTS (spec), bind, 5, &push, sizeof push,
                            (d->N + cols - 1) / cols, (d->M + rows - 1) / rows, d->batch, error);
  }
  g_assert (!geglu);
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_MATMUL, bits), gemm_spec (gpu), G_N_ELEMENTS (gemm_spec_gpu), bind, 5,
                          &push, sizeof push, (d->N + GEMM_BN - 1) / GEMM_BN,
                          (d->M + GEMM_BM - 1) / GEMM_BM, d->batch, error);
}

gboolean
se_op_matmul (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *bias,
              SeTensor *c, const SeMatmulDesc *d, GError **error)
{
  return matmul_check (a, b, bias, c, d, d->N, error) &&
         matmul_dispatch (gpu, a, b, bias, c, d, FALSE, NULL, NULL, error);
}

/* The Linear layer x [..., K] W^T as a matmul: M rows of x, N outputs. */
static gboolean
linear_desc (const SeTensor *x, const SeTensor *w, const SeTensor *out, gint64 N, SeMatmulDesc *d,
             GError **error)
{
  gint64 K = x->shape[x->ndim - 1];
  if (w->ndim != 2 || w->shape[1] != K || w->shape[0] % N != 0) {
    g_autofree char *s = se_ops_shapes ("x", x, "weight", w);
    return se_ops_invalid (error, "linear", "expected weight [N, %" G_GINT64_FORMAT "]: %s", K, s);
  }
  gsize M = x->numel / (gsize) K;
  if (out->shape[out->ndim - 1] != N || out->numel != M * (gsize) N) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "linear", "out must be x's shape with last dimension %" G_GINT64_FORMAT ": %s", N, s);
  }
  *d = (SeMatmulDesc) { .M = (guint32) M, .N = (guint32) N, .K = (guint32) K, .batch = 1,
                        .lda = (guint32) K, .ldb = (guint32) K, .ldc = (guint32) N,
                        .trans_b = TRUE, .alpha = 1.0f };
  return TRUE;
}

gboolean
se_op_linear_residual (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                       const SeTensor *residual, SeTensor *out, GError **error)
{
  SeMatmulDesc d;
  if (!linear_desc (x, w, out, w->ndim == 2 ? w->shape[0] : 0, &d, error))
    return FALSE;
  d.residual = residual;
  return se_op_matmul (gpu, x, w, bias, out, &d, error);
}

gboolean
se_op_linear (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
              SeTensor *out, GError **error)
{
  return se_op_linear_residual (gpu, x, w, bias, NULL, out, error);
}

gboolean
se_op_linear_geglu (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                    SeTensor *out, GError **error)
{
  SeMatmulDesc d;
  gint64 N = out->shape[out->ndim - 1];
  if (w->ndim != 2 || w->shape[0] != 2 * N)
    return se_ops_invalid (error, "linear_geglu", "weight has %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT,
                           w->shape[0], 2 * N);
  if (!linear_desc (x, w, out, N, &d, error) || !matmul_check (x, w, bias, out, &d, 2 * d.N, error))
    return FALSE;
  if (matmul_fast (gpu, x, w, out, &d))
    return matmul_dispatch (gpu, x, w, bias, out, &d, TRUE, NULL, NULL, error);
  gint64 shape[SE_MAX_DIMS];
  memcpy (shape, out->shape, sizeof shape);
  shape[out->ndim - 1] = 2 * N;
  g_autoptr (SeTensor) proj = se_tensor_new_typed (gpu, out->dtype, out->ndim, shape, error);
  return proj && se_op_linear (gpu, x, w, bias, proj, error) && se_op_geglu (gpu, proj, out, error);
}

gboolean
se_op_layer_norm_linear_fuses (SeGpu *gpu)
{
  return TILED_KERNELS (gpu);
}

gboolean
se_op_layer_norm_linear (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma, const SeTensor *beta, float eps,
                         const SeTensor *w, const SeTensor *bias, gboolean geglu, SeTensor *out, GError **error)
{
  SeMatmulDesc d;
  gint64 N = geglu ? out->shape[out->ndim - 1] : (w->ndim == 2 ? w->shape[0] : 0);
  if (!linear_desc (x, w, out, N, &d, error))
    return FALSE;
  if (gamma->ndim != 1 || gamma->shape[0] != d.K || !se_ops_same_shape (gamma, beta)) {
    g_autofree char *s = se_ops_shapes ("gamma", gamma, "beta", beta);
    return se_ops_invalid (error, "layer_norm_linear", "expected gamma and beta [%u]: %s", d.K, s);
  }
  if (!se_ops_all_f32 ("layer_norm_linear", error, gamma, beta, NULL, NULL))
    return FALSE;
  if (TILED_KERNELS (gpu) && matmul_fast (gpu, x, w, out, &d) && se_ops_vec4_aligned (gamma) &&
      se_ops_vec4_aligned (beta)) {
    FusedNorm ln = { gamma, beta, eps };
    if (geglu && (w->ndim != 2 || w->shape[0] != 2 * N))
      return se_ops_invalid (error, "layer_norm_linear", "weight has %" G_GINT64_FORMAT " rows, expected %"
                             G_GINT64_FORMAT, w->shape[0], 2 * N);
    return matmul_check (x, w, bias, out, &d, geglu ? 2 * d.N : d.N, error) &&
           matmul_dispatch (gpu, x, w, bias, out, &d, geglu, &ln, NULL, error);
  }
  g_autoptr (SeTensor) n = se_tensor_new_typed (gpu, x->dtype, x->ndim, x->shape, error);
  return n && se_op_layer_norm (gpu, x, gamma, beta, eps, n, error) &&
         (geglu ? se_op_linear_geglu (gpu, n, w, bias, out, error) : se_op_linear (gpu, n, w, bias, out, error));
}

/* A projection weight as [O, C]: a Linear weight or a 1x1 conv kernel. */
static gboolean
projection_shape (const SeTensor *w, gint64 *O, gint64 *C)
{
  if (w->ndim == 2 || (w->ndim == 4 && w->shape[2] == 1 && w->shape[3] == 1)) {
    *O = w->shape[0];
    *C = w->shape[1];
    return TRUE;
  }
  return FALSE;
}

/* The product of se_op_tokens_from_map (FALSE: the shapes do not fit). */
static gboolean
tokens_from_map_desc (const SeTensor *x, const SeTensor *w, const SeTensor *out, SeMatmulDesc *d,
                      GError **error)
{
  gint64 O, C;
  if (x->ndim != 4 || !projection_shape (w, &O, &C) || C != x->shape[1] || out->ndim != 3 ||
      out->shape[0] != x->shape[0] || out->shape[1] != x->shape[2] * x->shape[3] || out->shape[2] != O) {
    g_autofree char *s = se_ops_shapes ("x", x, "weight", w);
    g_autofree char *so = se_tensor_shape_string (out);
    return se_ops_invalid (error, "tokens_from_map", "expected x [B, C, H, W], weight [O, C], out [B, H*W, O]: "
                           "%s, out %s", s, so);
  }
  guint32 HW = (guint32) (x->shape[2] * x->shape[3]);
  *d = (SeMatmulDesc) { .M = HW, .N = (guint32) O, .K = (guint32) C, .batch = (guint32) x->shape[0],
                        .lda = HW, .ldb = (guint32) C, .ldc = (guint32) O,
                        .stride_a = (guint32) C * HW, .stride_b = 0, .stride_c = HW * (guint32) O,
                        .trans_a = TRUE, .trans_b = TRUE, .alpha = 1.0f };
  return TRUE;
}

gboolean
se_op_tokens_from_map (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                       SeTensor *out, GError **error)
{
  SeMatmulDesc d;
  return tokens_from_map_desc (x, w, out, &d, error) && se_op_matmul (gpu, x, w, bias, out, &d, error);
}

gboolean
se_op_tokens_from_map_fuses_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *out)
{
  SeMatmulDesc d;
  return tokens_from_map_desc (x, w, out, &d, NULL) && TILED_KERNELS (gpu) && matmul_fast (gpu, x, w, out, &d);
}

gboolean
se_op_tokens_from_map_norm (SeGpu *gpu, const SeTensor *x, const SeFusedGroupNorm *norm, const SeTensor *w,
                            const SeTensor *bias, SeTensor *out, GError **error)
{
  SeMatmulDesc d;
  if (!tokens_from_map_desc (x, w, out, &d, error) || !matmul_check (x, w, bias, out, &d, d.N, error))
    return FALSE;
  gsize C = (gsize) x->shape[1], B = (gsize) x->shape[0];
  if (!se_op_tokens_from_map_fuses_norm (gpu, x, w, out) || norm->silu || norm->groups == 0 ||
      C % norm->groups != 0 || norm->stats->numel < 2 * B * norm->groups || norm->gamma->numel != C ||
      norm->beta->numel != C || !se_ops_vec4_aligned (norm->gamma) || !se_ops_vec4_aligned (norm->beta))
    return se_ops_invalid (error, "tokens_from_map", "GroupNorm (no SiLU) of %zu channels in %u groups fuses "
                           "into the tiled and coopmat products only", C, norm->groups);
  if (!se_ops_all_f32 ("tokens_from_map", error, norm->stats, norm->gamma, norm->beta, NULL))
    return FALSE;
  return matmul_dispatch (gpu, x, w, bias, out, &d, FALSE, NULL, norm, error);
}

gboolean
se_op_map_from_tokens (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                       const SeTensor *residual, SeTensor *out, GError **error)
{
  gint64 O, C;
  if (x->ndim != 3 || !projection_shape (w, &O, &C) || C != x->shape[2] || out->ndim != 4 ||
      out->shape[0] != x->shape[0] || out->shape[1] != O ||
      out->shape[2] * out->shape[3] != x->shape[1]) {
    g_autofree char *s = se_ops_shapes ("x", x, "weight", w);
    g_autofree char *so = se_tensor_shape_string (out);
    return se_ops_invalid (error, "map_from_tokens", "expected x [B, H*W, C], weight [O, C], out [B, O, H, W]: "
                           "%s, out %s", s, so);
  }
  guint32 HW = (guint32) x->shape[1];
  SeMatmulDesc d = { .M = (guint32) O, .N = HW, .K = (guint32) C, .batch = (guint32) x->shape[0],
                     .lda = (guint32) C, .ldb = (guint32) C, .ldc = HW,
                     .stride_a = 0, .stride_b = HW * (guint32) C, .stride_c = (guint32) O * HW,
                     .trans_b = TRUE, .bias_per_row = TRUE, .alpha = 1.0f, .residual = residual };
  return se_op_matmul (gpu, w, x, bias, out, &d, error);
}

gboolean
se_op_bmm (SeGpu *gpu, const SeTensor *a, const SeTensor *b, gboolean trans_b, float alpha,
           SeTensor *out, GError **error)
{
  if (a->ndim != 3 || b->ndim != 3 || out->ndim != 3 || a->shape[0] != b->shape[0] ||
      out->shape[0] != a->shape[0]) {
    g_autofree char *s = se_ops_shapes ("a", a, "b", b);
    return se_ops_invalid (error, "bmm", "expected 3-D tensors with one batch size: %s", s);
  }
  guint32 B = (guint32) a->shape[0], M = (guint32) a->shape[1], K = (guint32) a->shape[2];
  guint32 bk = (guint32) (trans_b ? b->shape[2] : b->shape[1]);
  guint32 N = (guint32) (trans_b ? b->shape[1] : b->shape[2]);
  if (bk != K || out->shape[1] != M || out->shape[2] != N) {
    g_autofree char *s = se_ops_shapes ("a", a, "b", b);
    g_autofree char *so = se_tensor_shape_string (out);
    return se_ops_invalid (error, "bmm", "inner or output dimensions disagree: %s, out %s", s, so);
  }
  SeMatmulDesc d = { .M = M, .N = N, .K = K, .batch = B, .lda = K, .ldb = (guint32) b->shape[2],
                     .ldc = N, .stride_a = M * K, .stride_b = N * K, .stride_c = M * N,
                     .trans_b = trans_b, .alpha = alpha };
  return se_op_matmul (gpu, a, b, NULL, out, &d, error);
}

gboolean
se_op_conv2d (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
              guint stride, guint pad, SeTensor *out, GError **error)
{
  return se_op_conv2d_asym (gpu, x, w, bias, stride, pad, pad, out, error);
}

gint64
se_conv_out_size (gint64 in, gint64 kernel, guint stride, guint pad_begin, guint pad_end)
{
  return (in + (gint64) pad_begin + pad_end - kernel) / stride + 1;
}

gboolean
se_op_conv2d_asym (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                   guint stride, guint pad_begin, guint pad_end, SeTensor *out, GError **error)
{
  SeConvPart part = { .stride = stride, .pad_begin = pad_begin, .pad_end = pad_end };
  return se_op_conv2d_part (gpu, x, w, bias, &part, out, error);
}

/* Rows and steps of a convolution weight: plain [O, C, KH, KW], or a 3x3
 * kernel packed as [O, C, 3, 4]. */
typedef struct {
  gint64 kh, kw;
  guint32 row, per_c, per_ky;
} WeightLayout;

void
se_conv_kernel_size (const SeTensor *w, gint64 *kh, gint64 *kw)
{
  *kh = w->shape[2];
  *kw = w->packed_3x3 ? 3 : w->shape[3];
}

static WeightLayout
weight_layout (const SeTensor *w)
{
  WeightLayout wl;
  se_conv_kernel_size (w, &wl.kh, &wl.kw);
  wl.per_ky = (guint32) w->shape[3];
  wl.per_c = (guint32) (w->shape[2] * wl.per_ky);
  wl.row = (guint32) w->shape[1] * wl.per_c;
  return wl;
}

/* Whether the tiled or coopmat kernels take a convolution: weight unpacked,
 * rows, offset and K in whole vec4s. */
static gboolean
conv_gemm_fast (SeGpu *gpu, const SeTensor *w, const WeightLayout *wl, guint32 cin, const SeConvPart *part)
{
  guint32 v[] = { cin * (guint32) (wl->kh * wl->kw), wl->row, part->cout_off * wl->row + part->cin_off * wl->per_c };
  return !w->packed_3x3 && TILED_KERNELS (gpu) && all_multiples_of_4 (v, G_N_ELEMENTS (v)) &&
         se_ops_vec4_aligned (w);
}

gboolean
se_conv_upsamples_in_place (SeGpu *gpu, const SeTensor *w, guint cin, const SeConvPart *part)
{
  WeightLayout wl = weight_layout (w);
  return conv_gemm_fast (gpu, w, &wl, cin, part);
}

gboolean
se_conv3x3_prefers_packed (SeGpu *gpu)
{
  return gpu->kernels == SE_KERNELS_SUBGROUP;
}

typedef struct {
  guint32 cin, h, w, cout, oh, ow, kh, kw, stride, pad;
  guint32 bias_mode, bias_off, bias_stride, w_row, w_off, w_c, w_ky, residual;
  guint32 up;           /* the tiled and coopmat kernels: x read upsampled 2x */
  /* the tiled and coopmat kernels' GroupNorm fusion (conv2d_io.glsl) */
  guint32 stats_groups, norm, norm_groups;
  float norm_eps;
} ConvPush;

/* A statistics buffer holds partials for the column blocks of the
 * narrowest fast convolution block (coopmat's 32 x 32; tiled: 64). */
#define STATS_MIN_BN 32

static gsize
group_stats_floats (gint64 B, gint64 C, guint groups, gint64 column_blocks)
{
  return 2 * (gsize) B * ((gsize) groups + (gsize) C + (gsize) C * (gsize) column_blocks);
}

SeTensor *
se_group_stats_new (SeGpu *gpu, gint64 batch, gint64 channels, guint groups, gint64 pixels, GError **error)
{
  gsize n = group_stats_floats (batch, channels, groups, (pixels + STATS_MIN_BN - 1) / STATS_MIN_BN);
  return se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) n);
}

gboolean
se_conv_fuses_group_norm (SeGpu *gpu, const SeTensor *w, guint cin, const SeConvPart *part)
{
  WeightLayout wl = weight_layout (w);
  gboolean as_matmul = wl.kh == 1 && wl.kw == 1 && part->stride == 1 && part->pad_begin == 0 &&
                       part->pad_end == 0 && !part->upsample;
  return !as_matmul && part->cin_off == 0 && part->cout_off == 0 && !part->accumulate &&
         cin == w->shape[1] && conv_gemm_fast (gpu, w, &wl, cin, part);
}

/* The checks of a convolution's GroupNorm fusion (part's stats and norm). */
static gboolean
check_group_norm_fusion (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeConvPart *part, gint64 O,
                         gint64 P, GError **error)
{
  gint64 B = x->shape[0], C = x->shape[1];
  if (!part->stats && !part->norm)
    return TRUE;
  if (!se_conv_fuses_group_norm (gpu, w, (guint) C, part) || O != w->shape[0])
    return se_ops_invalid (error, "conv2d", "GroupNorm fuses into whole 3x3-like convolutions on the tiled "
                           "and coopmat kernels only");
  if (part->stats &&
      (part->stats_groups == 0 || O % part->stats_groups != 0 || part->stats->dtype != SE_DTYPE_F32 ||
       part->stats->numel < group_stats_floats (B, O, part->stats_groups, (P + STATS_MIN_BN - 1) / STATS_MIN_BN)))
    return se_ops_invalid (error, "conv2d", "the statistics buffer does not fit %u groups of %" G_GINT64_FORMAT
                           " channels", part->stats_groups, O);
  const SeFusedGroupNorm *n = part->norm;
  if (n && (n->groups == 0 || C % n->groups != 0 || n->stats->numel < 2 * (gsize) B * n->groups ||
            n->gamma->numel != (gsize) C || n->beta->numel != (gsize) C ||
            !se_ops_all_f32 ("conv2d", error, n->stats, n->gamma, n->beta, NULL)))
    return error && *error ? FALSE
                           : se_ops_invalid (error, "conv2d", "the input's normalization does not fit %u "
                                             "groups of %" G_GINT64_FORMAT " channels", n->groups, C);
  return TRUE;
}

/* A 1x1 convolution with stride 1 and no padding is a GEMM:
 * out[b] (O x HW) = W (O x C, a slice) x[b] (C x HW). */
static gboolean
conv1x1_as_matmul (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                   const SeConvPart *part, const SeTensor *residual, SeTensor *out, GError **error)
{
  guint32 C = (guint32) x->shape[1], O = (guint32) out->shape[1];
  guint32 HW = (guint32) (x->shape[2] * x->shape[3]), C_all = (guint32) w->shape[1];
  SeMatmulDesc d = { .M = O, .N = HW, .K = C, .batch = (guint32) x->shape[0],
                     .lda = C_all, .ldb = HW, .ldc = HW,
                     .stride_a = 0, .stride_b = C * HW, .stride_c = O * HW,
                     .bias_per_row = TRUE, .alpha = 1.0f,
                     .off_a = part->cout_off * C_all + part->cin_off, .bias_off = part->cout_off,
                     .bias_stride = part->bias_stride, .residual = residual };
  return se_op_matmul (gpu, w, x, bias, out, &d, error);
}

gboolean
se_op_conv2d_part (SeGpu *gpu, const SeTensor *x, const SeTensor *w, const SeTensor *bias,
                   const SeConvPart *part, SeTensor *out, GError **error)
{
  if (x->ndim != 4 || w->ndim != 4 || out->ndim != 4 || part->stride == 0 ||
      part->cin_off + x->shape[1] > w->shape[1] || part->cout_off + out->shape[1] > w->shape[0]) {
    g_autofree char *s = se_ops_shapes ("x", x, "weight", w);
    g_autofree char *so = se_tensor_shape_string (out);
    return se_ops_invalid (error, "conv2d", "expected x [B, C, H, W] and weight [O, C, KH, KW] covering "
                           "input channels from %u and output channels from %u: %s, out %s",
                           part->cin_off, part->cout_off, s, so);
  }
  WeightLayout wl = weight_layout (w);
  guint up = part->upsample ? 1 : 0;
  gint64 B = x->shape[0], H = x->shape[2] << up, W = x->shape[3] << up, C = x->shape[1];
  gint64 O = out->shape[1];
  gint64 OH = se_conv_out_size (H, wl.kh, part->stride, part->pad_begin, part->pad_end);
  gint64 OW = se_conv_out_size (W, wl.kw, part->stride, part->pad_begin, part->pad_end);
  if (OH <= 0 || OW <= 0 || out->shape[0] != B || out->shape[2] != OH || out->shape[3] != OW) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "conv2d", "expected out [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                           ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]: %s", B, O, OH, OW, s);
  }
  gsize bias_len = (gsize) (B - 1) * part->bias_stride + (gsize) w->shape[0];
  if (bias && bias->numel < bias_len)
    return se_ops_invalid (error, "conv2d", "bias has %zu elements, expected %zu", bias->numel, bias_len);
  const SeTensor *residual = part->accumulate ? out : part->residual;
  if (residual && !se_ops_same_shape (residual, out)) {
    g_autofree char *s = se_ops_shapes ("residual", residual, "out", out);
    return se_ops_invalid (error, "conv2d", "the residual must be shaped like out: %s", s);
  }
  gboolean act16;
  if (!se_ops_all_f32 ("conv2d", error, bias, NULL, NULL, NULL) ||
      !se_ops_activations ("conv2d", error, &act16, x, out, residual, NULL) ||
      !check_group_norm_fusion (gpu, x, w, part, O, OH * OW, error))
    return FALSE;
  if (wl.kh == 1 && wl.kw == 1 && part->stride == 1 && part->pad_begin == 0 && part->pad_end == 0 &&
      !w->packed_3x3 && gpu->kernels != SE_KERNELS_REFERENCE && !up)
    return conv1x1_as_matmul (gpu, x, w, bias, part, residual, out, error);

  ConvPush push = { (guint32) C, (guint32) x->shape[2], (guint32) x->shape[3], (guint32) O, (guint32) OH,
                    (guint32) OW, (guint32) wl.kh, (guint32) wl.kw, part->stride, part->pad_begin,
                    bias ? 1 : 0, part->cout_off, part->bias_stride,
                    wl.row, part->cout_off * wl.row + part->cin_off * wl.per_c, wl.per_c, wl.per_ky,
                    residual ? 1 : 0, up, part->stats ? part->stats_groups : 0,
                    part->norm ? (part->norm->silu ? 2 : 1) : 0, part->norm ? part->norm->groups : 0,
                    part->norm ? part->norm->eps : 0.0f };
  gboolean gemm_fast = conv_gemm_fast (gpu, w, &wl, (guint32) C, part);
  if (up && !gemm_fast) {
    /* the other kernels read x as it is: upsampled first */
    g_autoptr (SeTensor) big = se_tensor_new_typed_dims (gpu, x->dtype, error, B, C, H, W);
    SeConvPart plain = *part;
    plain.upsample = FALSE;
    return big && se_op_upsample_nearest2x (gpu, x, big, error) &&
           se_op_conv2d_part (gpu, big, w, bias, &plain, out, error);
  }
  /* the fast kernels' GroupNorm bindings follow: the statistics' counters
   * (one per row of blocks, and one), the writable ones on counters when
   * unused (the validation layer counts a writable binding as written), the
   * others on w */
  guint32 bm_any = gpu->kernels == SE_KERNELS_COOPMAT ? 32 : tiled_small[1] * tiled_small[2];
  SeAlloc counter;
  if (!se_memory_counters (gpu, part->stats ? 1 + (guint) (B * ((O + bm_any - 1) / bm_any)) : 1, &counter))
    return se_ops_invalid (error, "conv2d", "too many blocks for the GroupNorm statistics' counters");
  const SeFusedGroupNorm *norm = part->norm;
  SeBinding bind[] = { BIND_R (x), BIND_R (w), BIND_R (bias ? bias : w), BIND_R (residual ? residual : out),
                       BIND_W (out), { part->stats ? &part->stats->alloc : &counter, TRUE }, { &counter, TRUE },
                       BIND_R (norm ? norm->gamma : w), BIND_R (norm ? norm->beta : w),
                       BIND_R (norm ? norm->stats : w) };
  /* flags: w16, act16 */
  guint bits = (w->dtype == SE_DTYPE_F16 ? 1 : 0) | (act16 ? 2 : 0);
  if (w->packed_3x3 && gpu->kernels == SE_KERNELS_SUBGROUP && part->stride <= 2 && part->pad_begin <= 1 &&
      se_ops_vec4_aligned (x) && se_ops_vec4_aligned (out) && se_ops_vec4_aligned (residual)) {
    /* rows of whole vec4s, or else element by element (GATHER) */
    gboolean gather = W % 4 != 0 || OW % 4 != 0;
    guint32 sg = SG (gpu), rows = MIN (3 * sg, ((guint32) O + sg - 1) / sg * sg);
    guint32 spec[] = { sg, rows, part->stride, part->pad_begin, gather };
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_CONV3X3_SG, bits), spec, G_N_ELEMENTS (spec),
                            bind, 5, &push, sizeof push, (guint32) (((OH * OW + 3) / 4 + sg - 1) / sg),
                            (guint32) ((O + rows - 1) / rows), (guint32) B, error);
  }
  guint32 spec_cm[COOPMAT_SPEC], bm, bn;
  if (gemm_fast && gpu->kernels == SE_KERNELS_COOPMAT && act16 &&
      coopmat_block (gpu, SE_TUNING_CONV, (guint32) O, (guint32) (OH * OW), (guint32) B, FALSE, spec_cm, &bm, &bn))
    /* flags: w16 (activations are fp16) */
    return se_ops_dispatch (gpu, se_coopmat_variant (gpu, VARIANT (SE_SHADER_CONV2D_CM, bits & 1)), spec_cm,
                            COOPMAT_SPEC, bind, G_N_ELEMENTS (bind), &push, sizeof push,
                            (guint32) ((OH * OW + bn - 1) / bn),
                            (guint32) ((O + bm - 1) / bm), (guint32) B, error);
  if (gemm_fast) {
    const guint32 *blocks = tiled_blocks (gpu, (guint32) O, (guint32) (OH * OW), (guint32) B, FALSE);
    guint32 bm = blocks[1] * blocks[2], bn = blocks[0] * blocks[3];
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_CONV2D_TILED, bits), blocks, TILED_SPEC, bind,
                            G_N_ELEMENTS (bind), &push,
                            sizeof push, (guint32) ((OH * OW + bn - 1) / bn), (guint32) ((O + bm - 1) / bm),
                            (guint32) B, error);
  }
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_CONV2D, bits),
                          gemm_spec (gpu), G_N_ELEMENTS (gemm_spec_gpu), bind, 5, &push, sizeof push,
                          (guint32) ((OH * OW + GEMM_BN - 1) / GEMM_BN),
                          (guint32) ((O + GEMM_BM - 1) / GEMM_BM), (guint32) B, error);
}
