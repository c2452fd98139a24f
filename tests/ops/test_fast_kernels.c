/* test_fast_kernels.c: the fast kernel families, subgroup (CPU devices),
 * tiled (GPUs) and coopmat (tensor cores; emulated on lavapipe), against
 * reference.c: matmul in every operand layout,
 * the fused epilogues, GEGLU, 3x3 convolutions (packed for the subgroup
 * family), GroupNorm fused into convolutions, attention, norms, at shapes that hit their edges: rows and
 * columns that do not fill a tile, batches, channel parts, strides and
 * asymmetric padding.
 *
 * Run as `test-fast-kernels NAME`, under each family (SE_KERNELS; lavapipe
 * runs the subgroup family by default and the tiled one when forced).  Each
 * case also asserts that the family's kernel ran, so a silent fallback to
 * the reference kernels fails; under SE_KERNELS=reference the same cases
 * check the reference kernels' epilogues and packed weights.  Bounds as in test_ops.c: 1e-5 relative for fp32
 * accumulation over up to a few thousand products; fp16 weights are rounded
 * to half in the reference first, so the same bound holds.
 *
 * The fp16_activations case runs the same checks with activations (inputs,
 * residuals, outputs) stored as fp16: inputs are rounded to half in the
 * reference too, and the output's own rounding to 11 bits, 4.9e-4 of the
 * value at most, gives a bound of 1e-3 of the largest value (2e-3 for the
 * norms, whose outputs are several times their input's spread).  The
 * coopmat family runs the GEMMs of that case on fp16 operands: the
 * reference rounds its operands to half too, so the bound stays; its
 * attention also rounds the scaled queries and the softmax weights to half
 * (measured at most 5.4e-4 of the largest value). */
#include <math.h>
#include <string.h>

#include "reference.h"
#include "test-util.h"

#define GEMM_BOUND 1e-5
#define FP16_BOUND 1e-3

static GRand *rng;
static SeDType act = SE_DTYPE_F32;      /* activations of the running case */

static double
bound (double fp32_bound)
{
  return act == SE_DTYPE_F16 ? MAX (fp32_bound, FP16_BOUND) : fp32_bound;
}

/* No kernel of this family is expected (the shape falls back). */
#define NONE SE_SHADER_COUNT

static float
round_half (float v)
{
  return se_half_to_float (se_float_to_half (v));
}

/* Whether the running case's GEMMs (those the tiled family takes) run on
 * the coopmat kernels: fp16 operands, so the reference rounds its operands
 * to half as they do and the fp32-accumulation bound holds. */
static gboolean
coopmat_gemm (SeGpu *gpu)
{
  return gpu->kernels == SE_KERNELS_COOPMAT && act == SE_DTYPE_F16;
}

static void
round_to_half (float *data, gsize n)
{
  for (gsize i = 0; i < n; i++)
    data[i] = round_half (data[i]);
}

/* Asserts that the running family's kernel ran since `before`: `subgroup`,
 * `tiled`, or for a GEMM on the coopmat family `coopmat` (the emulated
 * variant: the device's own is asserted; NONE: nothing to assert). */
static void
assert_ran (SeGpu *gpu, const SeCmdStats *before, SeShaderId subgroup, SeShaderId tiled, SeShaderId coopmat,
            const char *what)
{
  SeShaderId id = NONE;
  const char *family = "tiled";
  if (gpu->kernels == SE_KERNELS_SUBGROUP) {
    id = subgroup;
    family = "subgroup";
  } else if (coopmat_gemm (gpu) && coopmat != NONE && tiled != NONE) {
    id = se_coopmat_variant (gpu, coopmat);
    family = "coopmat";
  } else if (gpu->kernels == SE_KERNELS_TILED || gpu->kernels == SE_KERNELS_COOPMAT) {
    id = tiled;
  }
  if (id == NONE)
    return;
  SeCmdStats now = se_cmd_stats (gpu);
  if (now.by_shader[id] == before->by_shader[id])
    g_error ("%s: the %s kernel did not run", what, family);
}

/* A device tensor of data as fp16 (data rounded to half in place, so the
 * reference sees what the device holds). */
static SeTensor *
half_tensor (SeGpu *gpu, float *data, guint ndim, const gint64 *shape)
{
  g_autoptr (GError) error = NULL;
  SeTensor *t = se_tensor_new_typed (gpu, SE_DTYPE_F16, ndim, shape, &error);
  g_assert_no_error (error);
  g_assert_true (se_tensor_upload (t, data, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < t->numel; i++)
    data[i] = round_half (data[i]);
  return t;
}

/* An activation tensor of data (rounded to half in place when act is fp16),
 * or NaN poison when data is NULL. */
static SeTensor *
act_tensor (SeGpu *gpu, float *data, guint ndim, const gint64 *shape)
{
  if (act == SE_DTYPE_F32)
    return se_test_tensor (gpu, data, ndim, shape);
  gsize n = 1;
  for (guint i = 0; i < ndim; i++)
    n *= (gsize) shape[i];
  g_autofree float *poison = NULL;
  if (data == NULL) {
    poison = g_new (float, n);
    for (gsize i = 0; i < n; i++)
      poison[i] = NAN;
  }
  return half_tensor (gpu, data ? data : poison, ndim, shape);
}
#define act_tensor_dims(gpu, data, ...) \
  act_tensor ((gpu), (data), G_N_ELEMENTS (((gint64[]) { __VA_ARGS__ })), (gint64[]) { __VA_ARGS__ })

/* The variant of a family that the activation type selects (its act16 flag
 * is bit `bit`). */
static SeShaderId
act_variant (SeShaderId family, guint bit)
{
  return (SeShaderId) (family + (act == SE_DTYPE_F16 ? 1u << bit : 0));
}

typedef enum { RES_NONE, RES_SEPARATE, RES_ALIAS } Residual;
typedef enum { BIAS_NONE, BIAS_COLUMN, BIAS_ROW } BiasMode;

typedef struct {
  int M, N, K, batch;
  gboolean trans_a, trans_b;    /* A stored K x M; B stored N x K */
  BiasMode bias;
  gboolean bias_per_batch;
  Residual residual;
  float alpha;
  SeDType a_type, b_type;
} MatmulCase;

static void
check_matmul (SeGpu *gpu, const MatmulCase *t)
{
  int M = t->M, N = t->N, K = t->K, Z = t->batch;
  gsize na = (gsize) Z * M * K, nb = (gsize) Z * N * K, nc = (gsize) Z * M * N;
  g_autofree float *a = se_test_random (rng, na, -1, 1);
  g_autofree float *b = se_test_random (rng, nb, -1, 1);
  int per_batch = t->bias == BIAS_ROW ? M : N;
  gsize nbias = (gsize) per_batch * (t->bias_per_batch ? Z : 1);
  g_autofree float *bias = se_test_random (rng, nbias, -1, 1);
  g_autofree float *res = se_test_random (rng, nc, -1, 1);
  gint64 sa[] = { Z, t->trans_a ? K : M, t->trans_a ? M : K };
  gint64 sb[] = { Z, t->trans_b ? N : K, t->trans_b ? K : N };
  g_autoptr (SeTensor) ta = t->a_type == SE_DTYPE_F16 ? half_tensor (gpu, a, 3, sa) : se_test_tensor (gpu, a, 3, sa);
  g_autoptr (SeTensor) tb = t->b_type == SE_DTYPE_F16 ? half_tensor (gpu, b, 3, sb) : se_test_tensor (gpu, b, 3, sb);
  g_autoptr (SeTensor) tbias = se_test_tensor_dims (gpu, bias, (gint64) nbias);
  g_autoptr (SeTensor) tres = act_tensor_dims (gpu, res, Z, M, N);
  g_autoptr (SeTensor) tc = act_tensor_dims (gpu, t->residual == RES_ALIAS ? res : NULL, Z, M, N);
  if (coopmat_gemm (gpu)) {
    round_to_half (a, na);
    round_to_half (b, nb);
  }
  SeMatmulDesc d = { .M = (guint32) M, .N = (guint32) N, .K = (guint32) K, .batch = (guint32) Z,
                     .lda = (guint32) (t->trans_a ? M : K), .ldb = (guint32) (t->trans_b ? K : N),
                     .ldc = (guint32) N, .stride_a = (guint32) (M * K), .stride_b = (guint32) (N * K),
                     .stride_c = (guint32) (M * N), .trans_a = t->trans_a, .trans_b = t->trans_b,
                     .bias_per_row = t->bias == BIAS_ROW, .alpha = t->alpha,
                     .bias_stride = t->bias_per_batch ? (guint32) per_batch : 0,
                     .residual = t->residual == RES_SEPARATE ? tres : t->residual == RES_ALIAS ? tc : NULL };
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_matmul (gpu, ta, tb, t->bias ? tbias : NULL, tc, &d, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (tc);

  g_autofree double *want = g_new (double, nc);
  for (int z = 0; z < Z; z++)
    for (int m = 0; m < M; m++)
      for (int n = 0; n < N; n++) {
        double s = 0.0;
        for (int k = 0; k < K; k++) {
          double av = t->trans_a ? a[((gsize) z * K + k) * M + m] : a[((gsize) z * M + m) * K + k];
          double bv = t->trans_b ? b[((gsize) z * N + n) * K + k] : b[((gsize) z * K + k) * N + n];
          s += av * bv;
        }
        s *= t->alpha;
        gsize bb = t->bias_per_batch ? (gsize) z * per_batch : 0;
        if (t->bias == BIAS_COLUMN)
          s += bias[bb + n];
        else if (t->bias == BIAS_ROW)
          s += bias[bb + m];
        gsize o = ((gsize) z * M + m) * N + n;
        if (t->residual != RES_NONE)
          s += res[o];
        want[o] = s;
      }
  g_autofree char *what = g_strdup_printf ("matmul %d x %d x %d, batch %d, A %s%s, B %s%s, bias %d%s, "
                                           "residual %d, alpha %g", M, N, K, Z,
                                           t->trans_a ? "KxM" : "MxK", t->a_type == SE_DTYPE_F16 ? " fp16" : "",
                                           t->trans_b ? "NxK" : "KxN", t->b_type == SE_DTYPE_F16 ? " fp16" : "",
                                           t->bias, t->bias_per_batch ? " per batch" : "", t->residual, t->alpha);
  se_test_assert_close (what, got, want, nc, bound (GEMM_BOUND));
  /* flags: a16, b16, c16 */
  guint bits = (t->a_type == SE_DTYPE_F16 ? 1 : 0) | (t->b_type == SE_DTYPE_F16 ? 2 : 0);
  assert_ran (gpu, &before, act_variant (SE_SHADER_MATMUL_SG + bits, 2), act_variant (SE_SHADER_MATMUL_TILED + bits, 2),
              SE_SHADER_MATMUL_CM + bits, what);
}

static void
test_matmul_layouts (SeGpu *gpu)
{
  const SeDType F32 = SE_DTYPE_F32, F16 = SE_DTYPE_F16;
  const MatmulCase cases[] = {
    { 64, 128, 64, 1, FALSE, TRUE, BIAS_COLUMN, FALSE, RES_NONE, 1.0f, F32, F32 },
    { 77, 36, 40, 2, FALSE, TRUE, BIAS_COLUMN, TRUE, RES_SEPARATE, 0.5f, F32, F32 },
    { 5, 300, 72, 1, FALSE, FALSE, BIAS_ROW, FALSE, RES_ALIAS, 1.0f, F32, F16 },
    { 130, 68, 1280, 1, FALSE, TRUE, BIAS_NONE, FALSE, RES_NONE, -2.0f, F32, F16 },
    { 96, 40, 32, 3, TRUE, TRUE, BIAS_COLUMN, FALSE, RES_SEPARATE, 1.0f, F32, F32 },
    { 68, 100, 24, 2, TRUE, FALSE, BIAS_ROW, TRUE, RES_NONE, 1.0f, F16, F32 },
    { 33, 44, 16, 2, FALSE, TRUE, BIAS_ROW, FALSE, RES_ALIAS, 1.0f, F16, F32 },
    { 1, 4, 4, 1, FALSE, FALSE, BIAS_COLUMN, FALSE, RES_NONE, 1.0f, F32, F32 },
    /* enough 128 x 128 blocks for the tiled family's large tiles */
    { 1000, 2052, 20, 1, FALSE, TRUE, BIAS_COLUMN, FALSE, RES_SEPARATE, 1.0f, F32, F16 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_matmul (gpu, &cases[i]);
}

/* x [M, K] by w [2N, K] + b: value columns first, then gates. */
static void
check_geglu (SeGpu *gpu, int M, int N, int K, SeDType wtype, gboolean expect_fused)
{
  g_autofree float *x = se_test_random (rng, (gsize) M * K, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) 2 * N * K, -1, 1);
  g_autofree float *bias = se_test_random (rng, (gsize) 2 * N, -1, 1);
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, M, K);
  gint64 sw[] = { 2 * N, K };
  g_autoptr (SeTensor) tw = wtype == SE_DTYPE_F16 ? half_tensor (gpu, w, 2, sw) : se_test_tensor (gpu, w, 2, sw);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, 2 * N);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, NULL, M, N);
  if (coopmat_gemm (gpu) && expect_fused)
    round_to_half (w, (gsize) 2 * N * K);
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_linear_geglu (gpu, tx, tw, tb, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *proj = g_new (double, (gsize) M * 2 * N);
  ref_matmul (x, w, bias, 1, M, 2 * N, K, TRUE, 1.0, proj);
  g_autofree double *want = g_new (double, (gsize) M * N);
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      want[(gsize) m * N + n] = proj[(gsize) m * 2 * N + n] * ref_gelu (proj[(gsize) m * 2 * N + N + n]);
  g_autofree char *what = g_strdup_printf ("linear_geglu %d x %d <- %d%s", M, N, K,
                                           wtype == SE_DTYPE_F16 ? ", fp16 weight" : "");
  se_test_assert_close (what, got, want, (gsize) M * N, bound (GEMM_BOUND));
  /* flags: a16 (x), b16 (the weight), c16 (out, like x) */
  guint b16 = wtype == SE_DTYPE_F16 ? 2 : 0;
  if (expect_fused)
    assert_ran (gpu, &before, act_variant (act_variant (SE_SHADER_MATMUL_SG + b16, 0), 2),
                act_variant (act_variant (SE_SHADER_MATMUL_TILED + b16, 0), 2), SE_SHADER_MATMUL_CM + 1 + b16, what);
}

static void
test_geglu_fused (SeGpu *gpu)
{
  check_geglu (gpu, 77, 40, 32, SE_DTYPE_F32, TRUE);
  check_geglu (gpu, 256, 128, 64, SE_DTYPE_F16, TRUE);
  check_geglu (gpu, 9, 10, 37, SE_DTYPE_F32, FALSE);    /* K % 4: projection, then GEGLU */
}

/* LayerNorm(x) [M, K] times w [N, K]^T + bias (GEGLU: w [2N, K], out
 * [M, N]), fused into the GEMM by the tiled and coopmat kernels (rows
 * normalized as they load), in two passes by the others.  The reference
 * normalizes in double; with fp16 activations the fused kernels never round
 * the normalized rows (the two-pass route rounds them once), which moves
 * results by about 2^-11 of a row's scale: within the fp16 bound. */
static void
check_layer_norm_linear (SeGpu *gpu, int M, int N, int K, gboolean geglu, SeDType wtype, float offset)
{
  int rows_w = geglu ? 2 * N : N;
  g_autofree float *x = se_test_random (rng, (gsize) M * K, -2, 2);
  for (gsize i = 0; i < (gsize) M * K; i++)
    x[i] += offset;
  g_autofree float *gamma = se_test_random (rng, K, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, K, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) rows_w * K, -1, 1);
  g_autofree float *bias = se_test_random (rng, rows_w, -1, 1);
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, M, K);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, K);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, beta, K);
  gint64 sw[] = { rows_w, K };
  g_autoptr (SeTensor) tw = wtype == SE_DTYPE_F16 ? half_tensor (gpu, w, 2, sw) : se_test_tensor (gpu, w, 2, sw);
  g_autoptr (SeTensor) tbias = se_test_tensor_dims (gpu, bias, rows_w);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, NULL, M, N);
  if (coopmat_gemm (gpu))
    round_to_half (w, (gsize) rows_w * K);
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_layer_norm_linear (gpu, tx, tg, tb, 1e-5f, tw, tbias, geglu, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  SeCmdStats after = se_cmd_stats (gpu);

  g_autofree double *normed = g_new (double, (gsize) M * K);
  ref_layer_norm (x, gamma, beta, M, K, 1e-5, normed);
  /* the coopmat kernels multiply the normalized rows as fp16 */
  g_autofree float *nf = g_new (float, (gsize) M * K);
  for (gsize i = 0; i < (gsize) M * K; i++)
    nf[i] = coopmat_gemm (gpu) ? round_half ((float) normed[i]) : (float) normed[i];
  g_autofree double *proj = g_new (double, (gsize) M * rows_w);
  ref_matmul (nf, w, bias, 1, M, rows_w, K, TRUE, 1.0, proj);
  g_autofree double *want = g_new (double, (gsize) M * N);
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      want[(gsize) m * N + n] = geglu ? proj[(gsize) m * 2 * N + n] * ref_gelu (proj[(gsize) m * 2 * N + N + n])
                                      : proj[(gsize) m * N + n];
  g_autofree char *what = g_strdup_printf ("layer_norm_linear %d x %d <- %d%s%s, offset %g", M, N, K,
                                           geglu ? ", GEGLU" : "", wtype == SE_DTYPE_F16 ? ", fp16 weight" : "",
                                           offset);
  /* fp32 normalization then a GEMM over K: as the norms' bound (x's offset
   * against its spread) with fp32, the GEMM's with fp16 activations */
  se_test_assert_close (what, got, want, (gsize) M * N, act == SE_DTYPE_F16 ? 2 * FP16_BOUND : 1e-4);
  /* one dispatch where the tiled or coopmat kernels fuse it; otherwise the
   * norm, then the projection (and the reference kernels' separate GEGLU) */
  gboolean fused = gpu->kernels == SE_KERNELS_TILED || gpu->kernels == SE_KERNELS_COOPMAT;
  guint64 expected = fused ? 1 : geglu && gpu->kernels == SE_KERNELS_REFERENCE ? 3 : 2;
  g_assert_cmpuint (after.dispatches - before.dispatches, ==, expected);
}

static void
test_layer_norm_linear (SeGpu *gpu)
{
  check_layer_norm_linear (gpu, 77, 40, 32, FALSE, SE_DTYPE_F32, 0.0f);
  check_layer_norm_linear (gpu, 130, 96, 320, FALSE, SE_DTYPE_F16, 20.0f);    /* rows past a block, offset */
  check_layer_norm_linear (gpu, 300, 64, 64, TRUE, SE_DTYPE_F16, -3.0f);     /* the feed-forward's GEGLU */
  check_layer_norm_linear (gpu, 1000, 132, 40, FALSE, SE_DTYPE_F32, 0.0f);   /* enough rows for big blocks */
}

/* The packed layout itself: rows of three padded with a zero, from floats
 * and from bytes as stored. */
static void
test_pack_conv3x3 (SeGpu *gpu)
{
  for (int f16 = 0; f16 < 2; f16++) {
    int O = 5, C = 3;                                   /* 135 weights: an odd count */
    SeDType dtype = f16 ? SE_DTYPE_F16 : SE_DTYPE_F32;
    gsize n = (gsize) O * C * 9;
    g_autofree float *w = se_test_random (rng, n, -1, 1);
    g_autofree guint16 *halves = g_new (guint16, n);
    for (gsize i = 0; i < n; i++) {
      if (f16)
        w[i] = round_half (w[i]);
      halves[i] = se_float_to_half (w[i]);
    }
    g_autoptr (GError) error = NULL;
    g_autoptr (SeTensor) from_floats = se_tensor_new_packed_3x3_f32 (gpu, dtype, O, C, w, &error);
    g_assert_no_error (error);
    g_autoptr (SeTensor) from_bytes = se_tensor_new_packed_3x3 (gpu, dtype, O, C, f16 ? (const void *) halves
                                                                                     : (const void *) w, &error);
    g_assert_no_error (error);
    g_autofree double *want = g_new (double, (gsize) O * C * 12);
    for (gsize r = 0; r < (gsize) O * C * 3; r++)
      for (int k = 0; k < 4; k++)
        want[r * 4 + k] = k < 3 ? w[r * 3 + k] : 0.0;
    SeTensor *packed[] = { from_floats, from_bytes };
    for (guint i = 0; i < 2; i++) {
      g_assert_true (packed[i]->packed_3x3);
      g_assert_cmpint (packed[i]->shape[3], ==, 4);
      g_autofree double *got = se_test_fetch (packed[i]);
      g_autofree char *what = g_strdup_printf ("packed 3x3 kernel, %s, from %s", f16 ? "fp16" : "fp32",
                                               i ? "bytes" : "floats");
      se_test_assert_close (what, got, want, packed[i]->numel, 0.0);
    }
  }
}

/* A 3x3 kernel of data [O, C, 3, 3] as the family wants it (packed for the
 * subgroup kernels), fp16 data already rounded. */
static SeTensor *
conv3_weight (SeGpu *gpu, const float *w, SeDType wtype, int O, int C)
{
  g_autoptr (GError) error = NULL;
  SeTensor *t = se_conv3x3_prefers_packed (gpu)
              ? se_tensor_new_packed_3x3_f32 (gpu, wtype, O, C, w, &error)
              : NULL;
  g_assert_no_error (error);
  if (t == NULL) {
    t = se_tensor_new_typed_dims (gpu, wtype, &error, O, C, 3, 3);
    g_assert_no_error (error);
    g_assert_true (se_tensor_upload (t, w, &error));
    g_assert_no_error (error);
  }
  return t;
}

typedef struct {
  int B, C, H, W, O, K, stride, pad, pad_end;
  BiasMode bias;                /* COLUMN: per channel; ROW: per batch element and channel */
  Residual residual;
  SeDType wtype;
  gboolean expect_fast;         /* the subgroup kernel (3x3) or GEMM (1x1) runs */
  gboolean expect_tiled;        /* the tiled kernel (3x3) or GEMM (1x1) runs */
  gboolean upsample;            /* of x upsampled 2x (nearest), H x W before */
} ConvCase;

static void
check_conv (SeGpu *gpu, const ConvCase *t)
{
  int B = t->B, C = t->C, O = t->O, K = t->K, up = t->upsample ? 1 : 0;
  int H = t->H << up, W = t->W << up;       /* what the convolution sees */
  int OH = (H + t->pad + t->pad_end - K) / t->stride + 1, OW = (W + t->pad + t->pad_end - K) / t->stride + 1;
  gsize nx = (gsize) B * C * t->H * t->W, nout = (gsize) B * O * OH * OW;
  g_autofree float *x = se_test_random (rng, nx, -1, 1);
  g_autofree float *seen = g_new (float, (gsize) B * C * H * W);
  for (gsize bc = 0; bc < (gsize) B * C; bc++)
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        seen[(bc * H + y) * W + xx] = x[(bc * t->H + (y >> up)) * t->W + (xx >> up)];
  g_autofree float *w = se_test_random (rng, (gsize) O * C * K * K, -1, 1);
  gsize nbias = (gsize) O * (t->bias == BIAS_ROW ? B : 1);
  g_autofree float *bias = se_test_random (rng, nbias, -1, 1);
  g_autofree float *res = se_test_random (rng, nout, -1, 1);
  g_autoptr (GError) error = NULL;
  gint64 shape[] = { O, C, K, K };
  g_autoptr (SeTensor) tw = t->wtype == SE_DTYPE_F16 ? half_tensor (gpu, w, 4, shape) : se_test_tensor (gpu, w, 4, shape);
  g_autoptr (SeTensor) packed = K == 3 ? conv3_weight (gpu, w, t->wtype, O, C) : NULL;
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, B, C, t->H, t->W);
  g_autoptr (SeTensor) tbias = se_test_tensor_dims (gpu, bias, (gint64) nbias);
  g_autoptr (SeTensor) tres = act_tensor_dims (gpu, res, B, O, OH, OW);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, t->residual == RES_ALIAS ? res : NULL, B, O, OH, OW);
  if (coopmat_gemm (gpu) && t->expect_tiled)
    round_to_half (w, (gsize) O * C * K * K);
  SeConvPart part = { .stride = (guint) t->stride, .pad_begin = (guint) t->pad, .pad_end = (guint) t->pad_end,
                      .accumulate = t->residual == RES_ALIAS,
                      .residual = t->residual == RES_SEPARATE ? tres : NULL,
                      .bias_stride = t->bias == BIAS_ROW ? (guint) O : 0, .upsample = t->upsample };
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_conv2d_part (gpu, tx, packed ? packed : tw, t->bias ? tbias : NULL, &part, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);

  g_autofree double *want = g_new (double, nout);
  ref_conv2d_asym (seen, w, NULL, B, C, H, W, O, K, K, t->stride, t->pad, t->pad_end, want);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      for (int p = 0; p < OH * OW; p++) {
        gsize i = ((gsize) b * O + o) * OH * OW + p;
        if (t->bias)
          want[i] += bias[(t->bias == BIAS_ROW ? (gsize) b * O : 0) + o];
        if (t->residual != RES_NONE)
          want[i] += res[i];
      }
  g_autofree char *what = g_strdup_printf ("conv %dx%d %dx%dx%dx%d -> %d stride %d pad %d/%d, bias %d, "
                                           "residual %d%s%s", K, K, B, C, t->H, t->W, O, t->stride, t->pad,
                                           t->pad_end, t->bias, t->residual,
                                           t->wtype == SE_DTYPE_F16 ? ", fp16 weights" : "",
                                           up ? ", upsampled 2x" : "");
  se_test_assert_close (what, got, want, nout, bound (GEMM_BOUND));
  /* 3x3 flags: w16, act16; a 1x1 is a matmul of the weight (a16) by x (b16) into out (c16) */
  guint w16 = t->wtype == SE_DTYPE_F16 ? 1 : 0;
  SeShaderId sg = K == 3 ? act_variant (SE_SHADER_CONV3X3_SG + w16, 1)
                         : act_variant (act_variant (SE_SHADER_MATMUL_SG + w16, 1), 2);
  SeShaderId tiled = K == 3 ? act_variant (SE_SHADER_CONV2D_TILED + w16, 1)
                            : act_variant (act_variant (SE_SHADER_MATMUL_TILED + w16, 1), 2);
  SeShaderId cm = K == 3 ? SE_SHADER_CONV2D_CM + w16 : SE_SHADER_MATMUL_CM + w16 + 2;
  assert_ran (gpu, &before, t->expect_fast ? sg : NONE, t->expect_tiled ? tiled : NONE, cm, what);
}

static void
test_conv_packed (SeGpu *gpu)
{
  const SeDType F32 = SE_DTYPE_F32, F16 = SE_DTYPE_F16;
  const ConvCase cases[] = {
    { 2, 5, 8, 12, 7, 3, 1, 1, 1, BIAS_COLUMN, RES_NONE, F32, TRUE, FALSE, FALSE },      /* C % 4: tiled falls back */
    { 1, 16, 16, 16, 33, 3, 2, 1, 1, BIAS_COLUMN, RES_SEPARATE, F16, TRUE, TRUE, FALSE },  /* UNet downsampler */
    { 2, 8, 8, 16, 24, 3, 2, 0, 1, BIAS_COLUMN, RES_NONE, F32, TRUE, TRUE, FALSE },        /* VAE downsampler */
    { 1, 3, 32, 32, 32, 3, 1, 1, 1, BIAS_COLUMN, RES_NONE, F16, TRUE, FALSE, FALSE },      /* VAE conv_in */
    { 2, 32, 4, 4, 4, 3, 1, 1, 1, BIAS_ROW, RES_SEPARATE, F32, TRUE, TRUE, FALSE },        /* time embedding folded in */
    { 2, 12, 8, 4, 40, 3, 1, 1, 1, BIAS_NONE, RES_ALIAS, F32, TRUE, TRUE, FALSE },         /* accumulate */
    { 1, 6, 5, 7, 9, 3, 1, 1, 1, BIAS_COLUMN, RES_SEPARATE, F16, TRUE, FALSE, FALSE },     /* W % 4, C % 4 */
    { 1, 4, 9, 11, 130, 3, 1, 1, 1, BIAS_COLUMN, RES_SEPARATE, F16, TRUE, TRUE, FALSE },   /* UNet conv_in, odd size */
    { 2, 64, 8, 16, 36, 1, 1, 0, 0, BIAS_COLUMN, RES_SEPARATE, F32, TRUE, TRUE, FALSE },   /* 1x1: a GEMM */
    { 1, 8, 4, 8, 12, 1, 1, 0, 0, BIAS_ROW, RES_ALIAS, F16, TRUE, TRUE, FALSE },
    { 2, 70, 8, 16, 33, 1, 1, 0, 0, BIAS_COLUMN, RES_NONE, F32, FALSE, FALSE, FALSE },     /* C % 4: reference */
    { 1, 8, 12, 20, 140, 3, 1, 1, 1, BIAS_COLUMN, RES_NONE, F16, TRUE, TRUE, FALSE },
    /* rows that are not whole vec4s: the subgroup kernel gathers */
    { 2, 40, 8, 5, 20, 3, 1, 1, 1, BIAS_ROW, RES_SEPARATE, F16, TRUE, TRUE, FALSE },      /* deepest level, 512x320 */
    { 1, 24, 8, 6, 16, 3, 2, 1, 1, BIAS_COLUMN, RES_NONE, F32, TRUE, TRUE, FALSE },       /* downsampler to 4x3 */
    { 1, 16, 2, 2, 12, 3, 1, 1, 1, BIAS_COLUMN, RES_ALIAS, F16, TRUE, TRUE, FALSE },      /* 2x2, accumulate */
    { 2, 12, 8, 2, 30, 3, 2, 0, 1, BIAS_NONE, RES_NONE, F32, TRUE, TRUE, FALSE },         /* VAE downsampler, to 4x1 */
    { 2, 20, 1, 1, 28, 3, 1, 1, 1, BIAS_ROW, RES_SEPARATE, F16, TRUE, TRUE, FALSE },      /* 1x1: the center tap */
    { 1, 16, 3, 5, 17, 3, 2, 1, 1, BIAS_COLUMN, RES_ALIAS, F32, TRUE, TRUE, FALSE },      /* to 2x3, accumulate */
    /* the UNet's upsamplers: the tiled and coopmat kernels read x upsampled
     * in place, the others convolve an upsampled copy */
    { 2, 16, 4, 4, 16, 3, 1, 1, 1, BIAS_COLUMN, RES_NONE, F16, TRUE, TRUE, TRUE },
    { 1, 8, 3, 5, 20, 3, 1, 1, 1, BIAS_COLUMN, RES_SEPARATE, F32, TRUE, TRUE, TRUE },  /* to 6x10 */
    { 1, 12, 1, 1, 8, 3, 1, 1, 1, BIAS_NONE, RES_NONE, F16, TRUE, TRUE, TRUE },        /* 1x1 to 2x2 */
    { 1, 6, 3, 3, 9, 3, 1, 1, 1, BIAS_COLUMN, RES_NONE, F32, TRUE, FALSE, TRUE },      /* C % 4: copy first */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_conv (gpu, &cases[i]);
}

/* A layer in 2 input x 3 output channel parts, summed with accumulate, on
 * the weights the family takes (packed for subgroup) and a width the
 * subgroup kernel takes. */
static void
test_conv_parts (SeGpu *gpu)
{
  int C = 16, O = 24, H = 9, W = 8;
  g_autofree float *x = se_test_random (rng, (gsize) C * H * W, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) O * C * 9, -1, 1);
  g_autofree float *bias = se_test_random (rng, O, -1, 1);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, O);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTensor) packed = conv3_weight (gpu, w, SE_DTYPE_F32, O, C);
  if (coopmat_gemm (gpu))
    round_to_half (w, (gsize) O * C * 9);
  g_autofree double *got = g_new (double, (gsize) O * H * W);
  SeCmdStats before = se_cmd_stats (gpu);
  for (int j = 0; j < 3; j++) {
    g_autoptr (SeTensor) out = act_tensor_dims (gpu, NULL, 1, O / 3, H, W);
    for (int i = 0; i < 2; i++) {
      g_autoptr (SeTensor) xi = act_tensor_dims (gpu, x + (gsize) i * (C / 2) * H * W, 1, C / 2, H, W);
      SeConvPart part = { .stride = 1, .pad_begin = 1, .pad_end = 1, .cin_off = (guint) (i * C / 2),
                          .cout_off = (guint) (j * O / 3), .accumulate = i > 0 };
      g_assert_true (se_op_conv2d_part (gpu, xi, packed, i == 0 ? tb : NULL, &part, out, &error));
      g_assert_no_error (error);
    }
    g_autofree double *part_out = se_test_fetch (out);
    memcpy (got + (gsize) j * (O / 3) * H * W, part_out, out->numel * sizeof (double));
  }
  /* x as the device held it (rounded when fp16); with fp16 activations the
   * first part's sum is rounded once more before the second adds to it */
  g_autofree double *want = g_new (double, (gsize) O * H * W);
  ref_conv2d (x, w, bias, 1, C, H, W, O, 3, 3, 1, 1, want);
  se_test_assert_close ("conv in 2 x 3 channel parts", got, want, (gsize) O * H * W,
                        bound (GEMM_BOUND));
  assert_ran (gpu, &before, act_variant (SE_SHADER_CONV3X3_SG, 1), act_variant (SE_SHADER_CONV2D_TILED, 1),
              SE_SHADER_CONV2D_CM, "conv in parts");
}

/* Per (batch, group) mean and variance of y [B, C, P] in double. */
static void
ref_group_stats (const double *y, int B, int C, int P, int G, double *want)
{
  gsize n = (gsize) (C / G) * P;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < G; g++) {
      const double *v = y + ((gsize) b * C + (gsize) g * (C / G)) * P;
      double mean = 0, var = 0;
      for (gsize i = 0; i < n; i++)
        mean += v[i];
      mean /= (double) n;
      for (gsize i = 0; i < n; i++)
        var += (v[i] - mean) * (v[i] - mean);
      want[2 * (b * G + g)] = mean;
      want[2 * (b * G + g) + 1] = var / (double) n;
    }
}

/* A consumer of the fused GroupNorm: conv (w2, b2; stride) of the
 * normalized y (SiLU or not) against GroupNorm then convolution in double
 * on y as the device holds it. */
static void
check_norm_consumer (SeGpu *gpu, const SeTensor *ty, const double *y, const SeTensor *stats, int G,
                     const SeTensor *tgamma, const SeTensor *tbeta, const float *gamma, const float *beta,
                     const SeTensor *tw2, const float *w2, const SeTensor *tb2, const float *b2, int O2,
                     guint stride, gboolean silu)
{
  int B = (int) ty->shape[0], C = (int) ty->shape[1], H = (int) ty->shape[2], W = (int) ty->shape[3];
  int OH = (H + 2 - 3) / (int) stride + 1, OW = (W + 2 - 3) / (int) stride + 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTensor) tz = act_tensor_dims (gpu, NULL, B, O2, OH, OW);
  SeFusedGroupNorm norm = { stats, tgamma, tbeta, (guint) G, 1e-5f, silu };
  SeConvPart part = { .stride = stride, .pad_begin = 1, .pad_end = 1, .norm = &norm };
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_conv2d_part (gpu, ty, tw2, tb2, &part, tz, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (tz);
  gsize ny = (gsize) B * C * H * W;
  g_autofree float *yf = g_new (float, ny);
  for (gsize i = 0; i < ny; i++)
    yf[i] = (float) y[i];
  g_autofree double *nd = g_new (double, ny);
  ref_group_norm (yf, gamma, beta, B, C, H * W, G, 1e-5, silu, nd);
  g_autofree float *nf = g_new (float, ny);
  for (gsize i = 0; i < ny; i++)
    nf[i] = coopmat_gemm (gpu) ? round_half ((float) nd[i]) : (float) nd[i];
  g_autofree double *want = g_new (double, tz->numel);
  ref_conv2d (nf, w2, b2, B, C, H, W, O2, 3, 3, (int) stride, 1, want);
  g_autofree char *what = g_strdup_printf ("convolution of the normalized map, stride %u%s", stride,
                                           silu ? ", SiLU" : "");
  se_test_assert_close (what, got, want, tz->numel, bound (GEMM_BOUND));
  assert_ran (gpu, &before, NONE, act_variant (SE_SHADER_CONV2D_TILED, 1), SE_SHADER_CONV2D_CM, what);
}

/* The other consumer: a transformer's proj_in, tokens [B, P, N] = GN(y)^T
 * W^T + bias (no SiLU), the norm applied as the product loads y. */
static void
check_norm_tokens (SeGpu *gpu, const SeTensor *ty, const double *y, const SeTensor *stats, int G,
                   const SeTensor *tgamma, const SeTensor *tbeta, const float *gamma, const float *beta)
{
  int B = (int) ty->shape[0], C = (int) ty->shape[1], P = (int) (ty->shape[2] * ty->shape[3]), N = 24;
  g_autofree float *w = se_test_random (rng, (gsize) N * C, -1, 1);
  g_autofree float *bias = se_test_random (rng, N, -1, 1);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, N, C);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, N);
  g_autoptr (SeTensor) tt = act_tensor_dims (gpu, NULL, B, P, N);
  g_autoptr (GError) error = NULL;
  SeFusedGroupNorm norm = { stats, tgamma, tbeta, (guint) G, 1e-6f, FALSE };
  g_assert_true (se_op_tokens_from_map_fuses_norm (gpu, ty, tw, tt));
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_tokens_from_map_norm (gpu, ty, &norm, tw, tb, tt, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (tt);
  gsize ny = (gsize) B * C * P;
  g_autofree float *yf = g_new (float, ny);
  for (gsize i = 0; i < ny; i++)
    yf[i] = (float) y[i];
  g_autofree double *nd = g_new (double, ny);
  ref_group_norm (yf, gamma, beta, B, C, P, G, 1e-6, FALSE, nd);
  /* the normalized map as tokens [B, P, C] */
  g_autofree float *tokens = g_new (float, ny);
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      for (int i = 0; i < P; i++) {
        float v = (float) nd[((gsize) b * C + c) * P + i];
        tokens[((gsize) b * P + i) * C + c] = coopmat_gemm (gpu) ? round_half (v) : v;
      }
  if (coopmat_gemm (gpu))
    round_to_half (w, (gsize) N * C);
  g_autofree double *want = g_new (double, tt->numel);
  for (int b = 0; b < B; b++)      /* one weight for every batch element */
    ref_matmul (tokens + (gsize) b * P * C, w, bias, 1, P, N, C, TRUE, 1.0, want + (gsize) b * P * N);
  se_test_assert_close ("tokens of the normalized map", got, want, tt->numel, bound (GEMM_BOUND));
  /* flags: a16 (the map), c16 (the tokens) */
  assert_ran (gpu, &before, NONE, act_variant (act_variant (SE_SHADER_MATMUL_TILED, 0), 2), SE_SHADER_MATMUL_CM + 1,
              "tokens of the normalized map");
}

/* GroupNorm fused into convolutions (the tiled and coopmat families): a
 * convolution gathers its output's group statistics, which the next one
 * applies (with SiLU; without, at stride 2) as it reads that output, as
 * does a projection into tokens.
 * Groups of 3 channels across the 64-row blocks, a map over several column
 * blocks with a partial last one, a batch of 2; the producer runs twice
 * (the second run's statistics count) and leaves its counters at zero.
 * The other families refuse the fusion with a clear error. */
static void
test_group_norm_fused (SeGpu *gpu)
{
  int B = 2, C = 16, O = 72, G = 24, H = 12, W = 11, O2 = 20, P = H * W;
  gsize nx = (gsize) B * C * P;
  g_autofree float *x = se_test_random (rng, nx, -1, 1);
  g_autofree float *x2 = se_test_random (rng, nx, -1, 3);
  g_autofree float *w1 = se_test_random (rng, (gsize) O * C * 9, -1, 1);
  g_autofree float *b1 = se_test_random (rng, O, -1, 1);
  g_autofree float *w2 = se_test_random (rng, (gsize) O2 * O * 9, -1, 1);
  g_autofree float *b2 = se_test_random (rng, O2, -1, 1);
  g_autofree float *gamma = se_test_random (rng, O, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, O, -0.5, 0.5);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTensor) tw1 = conv3_weight (gpu, w1, SE_DTYPE_F32, O, C);
  g_autoptr (SeTensor) tw2 = conv3_weight (gpu, w2, SE_DTYPE_F32, O2, O);
  g_autoptr (SeTensor) tb1 = se_test_tensor_dims (gpu, b1, O);
  g_autoptr (SeTensor) tb2 = se_test_tensor_dims (gpu, b2, O2);
  g_autoptr (SeTensor) tgamma = se_test_tensor_dims (gpu, gamma, O);
  g_autoptr (SeTensor) tbeta = se_test_tensor_dims (gpu, beta, O);
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) tx2 = act_tensor_dims (gpu, x2, B, C, H, W);
  g_autoptr (SeTensor) ty = act_tensor_dims (gpu, NULL, B, O, H, W);
  g_autoptr (SeTensor) stats = se_group_stats_new (gpu, B, O, (guint) G, P, &error);
  g_assert_no_error (error);
  SeConvPart producer = { .stride = 1, .pad_begin = 1, .pad_end = 1, .stats = stats, .stats_groups = (guint) G };

  if (!se_conv_fuses_group_norm (gpu, tw1, (guint) C, &producer)) {
    g_assert_true (gpu->kernels == SE_KERNELS_SUBGROUP || gpu->kernels == SE_KERNELS_REFERENCE);
    g_assert_false (se_op_conv2d_part (gpu, tx, tw1, tb1, &producer, ty, &error));
    g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
    g_test_message ("refused: %s", error->message);
    return;
  }
  if (coopmat_gemm (gpu)) {
    round_to_half (w1, (gsize) O * C * 9);
    round_to_half (w2, (gsize) O2 * O * 9);
  }
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_conv2d_part (gpu, tx, tw1, tb1, &producer, ty, &error) &&
                 se_op_conv2d_part (gpu, tx2, tw1, tb1, &producer, ty, &error));
  g_assert_no_error (error);
  g_autofree double *y = se_test_fetch (ty);
  gboolean zero;
  g_assert_true (se_memory_counters_all_zero (gpu, &zero, &error));
  g_assert_no_error (error);
  g_assert_true (zero);
  g_autofree double *want_y = g_new (double, ty->numel);
  ref_conv2d (x2, w1, b1, B, C, H, W, O, 3, 3, 1, 1, want_y);
  se_test_assert_close ("the producer's output", y, want_y, ty->numel, bound (GEMM_BOUND));
  assert_ran (gpu, &before, NONE, act_variant (SE_SHADER_CONV2D_TILED, 1), SE_SHADER_CONV2D_CM,
              "the producer");

  /* the statistics of y as the device holds it (fp32 sums over 396 values) */
  g_autofree double *all = se_test_fetch (stats);
  g_autofree double *want_stats = g_new (double, 2 * B * G);
  ref_group_stats (y, B, O, P, G, want_stats);
  se_test_assert_close ("group statistics (mean, variance)", all, want_stats, 2 * B * G, GEMM_BOUND);

  check_norm_consumer (gpu, ty, y, stats, G, tgamma, tbeta, gamma, beta, tw2, w2, tb2, b2, O2, 1, TRUE);
  check_norm_consumer (gpu, ty, y, stats, G, tgamma, tbeta, gamma, beta, tw2, w2, tb2, b2, O2, 2, FALSE);
  check_norm_tokens (gpu, ty, y, stats, G, tgamma, tbeta, gamma, beta);
}

static void
check_attention (SeGpu *gpu, int B, int Lq, int Lk, int H, int D, gboolean causal)
{
  int C = H * D;
  g_autofree float *q = se_test_random (rng, (gsize) B * Lq * C, -1, 1);
  g_autofree float *k = se_test_random (rng, (gsize) B * Lk * C, -1, 1);
  g_autofree float *v = se_test_random (rng, (gsize) B * Lk * C, -1, 1);
  g_autoptr (SeTensor) tq = act_tensor_dims (gpu, q, B, Lq, C);
  g_autoptr (SeTensor) tk = act_tensor_dims (gpu, k, B, Lk, C);
  g_autoptr (SeTensor) tv = act_tensor_dims (gpu, v, B, Lk, C);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, NULL, B, Lq, C);
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_attention (gpu, tq, tk, tv, H, causal, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, to->numel);
  ref_attention (q, k, v, B, Lq, Lk, H, D, causal, want);
  g_autofree char *what = g_strdup_printf ("attention B%d Lq%d Lk%d H%d D%d%s", B, Lq, Lk, H, D,
                                           causal ? " causal" : "");
  se_test_assert_close (what, got, want, to->numel, bound (GEMM_BOUND));
  /* the subgroup kernel takes D % 4 == 0 */
  assert_ran (gpu, &before, D % 4 == 0 ? act_variant (SE_SHADER_ATTENTION_SG, 0) : NONE,
              act_variant (SE_SHADER_ATTENTION_TILED, 0), SE_SHADER_ATTENTION_CM, what);
}

/* LEDITS++'s cross-attention maps (one kernel for every family; fp32
 * output, read from activations of either type). */
static void
check_attention_probs (SeGpu *gpu, int B, int Lq, int Lk, int H, int D)
{
  int C = H * D;
  g_autofree float *q = se_test_random (rng, (gsize) B * Lq * C, -1, 1);
  g_autofree float *k = se_test_random (rng, (gsize) B * Lk * C, -1, 1);
  g_autoptr (SeTensor) tq = act_tensor_dims (gpu, q, B, Lq, C);
  g_autoptr (SeTensor) tk = act_tensor_dims (gpu, k, B, Lk, C);
  g_autoptr (SeTensor) tp = se_test_tensor_dims (gpu, NULL, B, Lq, Lk);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_attention_probs (gpu, tq, tk, H, tp, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (tp);
  g_autofree double *want = g_new (double, tp->numel);
  /* q and k as the device holds them (rounded when fp16): fp32 arithmetic */
  ref_attention_probs (q, k, B, Lq, Lk, H, D, want);
  g_autofree char *what = g_strdup_printf ("attention probabilities B%d Lq%d Lk%d H%d D%d", B, Lq, Lk, H, D);
  se_test_assert_close (what, got, want, tp->numel, GEMM_BOUND);
}

static void
test_attention_shapes (SeGpu *gpu)
{
  check_attention_probs (gpu, 3, 64, 77, 8, 4);         /* tiny UNet at 256 px, batch 1 + 2 concepts */
  check_attention_probs (gpu, 2, 256, 77, 8, 160);      /* SD 1.5 at 512 px: 16 x 16 queries */
  check_attention_probs (gpu, 1, 70, 77, 8, 80);        /* SD 1.5's middle head width */
  check_attention_probs (gpu, 2, 5, 9, 3, 6);           /* few keys, head width not a multiple of 4 */
  check_attention_probs (gpu, 1, 10, 300, 2, 8);        /* more keys than threads */
  check_attention (gpu, 2, 77, 77, 4, 8, TRUE);         /* CLIP self-attention */
  check_attention (gpu, 2, 128, 77, 8, 4, FALSE);       /* tiny UNet cross-attention */
  check_attention (gpu, 1, 300, 77, 2, 40, FALSE);      /* SD 1.5 head size */
  check_attention (gpu, 1, 70, 70, 1, 160, FALSE);      /* largest SD 1.5 head size */
  check_attention (gpu, 1, 4100, 4100, 1, 8, FALSE);    /* beyond 4096 tokens, odd length */
  check_attention (gpu, 2, 77, 77, 12, 4, TRUE);        /* causal, keys not a multiple of the subgroup */
  check_attention (gpu, 1, 37, 77, 8, 80, FALSE);       /* SD 1.5 level 2 cross-attention */
  check_attention (gpu, 2, 33, 9, 2, 160, FALSE);       /* fewer keys than lanes */
  /* lavapipe (Mesa 22.3) runs the reference kernel at head widths over 32
   * with more than about 700 keys without writing anything: only the
   * fast kernels are held to this shape there (README, GPU execution) */
  if (gpu->kernels != SE_KERNELS_REFERENCE || gpu->info.type != VK_PHYSICAL_DEVICE_TYPE_CPU)
    check_attention (gpu, 1, 1024, 1024, 8, 40, FALSE);
  check_attention (gpu, 2, 5, 77, 1, 16, TRUE);         /* more keys than queries, causal */
  check_attention (gpu, 1, 50, 20, 3, 6, TRUE);         /* head width not a multiple of 4 */
}

/* GroupNorm with a mean far from zero next to its spread (offset), where
 * one-pass sums without the shift would cancel. */
static void
check_group_norm (SeGpu *gpu, int B, int C, int HW, int G, float offset, gboolean silu)
{
  gsize n = (gsize) B * C * HW;
  g_autofree float *x = se_test_random (rng, n, -1, 1);
  for (gsize i = 0; i < n; i++)
    x[i] += offset;
  g_autofree float *gamma = se_test_random (rng, C, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, C, -1, 1);
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, B, C, HW);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, C);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, beta, C);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, NULL, B, C, HW);
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_group_norm (gpu, tx, tg, tb, G, 1e-5f, silu, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  ref_group_norm (x, gamma, beta, B, C, HW, G, 1e-5, silu, want);
  g_autofree char *what = g_strdup_printf ("group_norm %dx%dx%d G%d offset %g%s", B, C, HW, G, offset,
                                           silu ? " +silu" : "");
  /* the normalised values lose offset / spread * 6e-8 relative to rounding
   * of x itself: 5e-6 at an offset of 50 */
  se_test_assert_close (what, got, want, n, act == SE_DTYPE_F16 ? 2 * FP16_BOUND : GEMM_BOUND);
  assert_ran (gpu, &before, act_variant (SE_SHADER_GROUPNORM_SG, 0), NONE, NONE, what);
}

static void
check_layer_norm (SeGpu *gpu, int rows, int N, float offset)
{
  gsize n = (gsize) rows * N;
  g_autofree float *x = se_test_random (rng, n, -2, 3);
  for (gsize i = 0; i < n; i++)
    x[i] += offset;
  g_autofree float *gamma = se_test_random (rng, N, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, N, -1, 1);
  g_autoptr (SeTensor) tx = act_tensor_dims (gpu, x, rows, N);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, N);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, beta, N);
  g_autoptr (SeTensor) to = act_tensor_dims (gpu, NULL, rows, N);
  g_autoptr (GError) error = NULL;
  SeCmdStats before = se_cmd_stats (gpu);
  g_assert_true (se_op_layer_norm (gpu, tx, tg, tb, 1e-5f, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  ref_layer_norm (x, gamma, beta, rows, N, 1e-5, want);
  g_autofree char *what = g_strdup_printf ("layer_norm %dx%d offset %g", rows, N, offset);
  se_test_assert_close (what, got, want, n, act == SE_DTYPE_F16 ? 2 * FP16_BOUND : GEMM_BOUND);
  assert_ran (gpu, &before, act_variant (SE_SHADER_LAYERNORM_SG, 0), NONE, NONE, what);
}

static void
test_norms (SeGpu *gpu)
{
  check_group_norm (gpu, 2, 64, 96, 32, 0.0f, TRUE);
  check_group_norm (gpu, 1, 32, 4096, 32, 50.0f, FALSE);
  check_group_norm (gpu, 2, 96, 16, 32, -20.0f, TRUE);
  check_layer_norm (gpu, 77, 32, 0.0f);
  check_layer_norm (gpu, 130, 1280, 100.0f);
  check_layer_norm (gpu, 3, 8, -5.0f);
}

/* The element-wise operators on fp16 activations (the up blocks' joined
 * GroupNorm, upsample, GEGLU fallback and unary activations). */
static void
check_pointwise_f16 (SeGpu *gpu)
{
  int B = 2, C1 = 5, C2 = 3, H = 6, W = 7, n1 = B * C1 * H * W, n2 = B * C2 * H * W;
  g_autofree float *a = se_test_random (rng, n1, -2, 2);
  g_autofree float *b = se_test_random (rng, n2, -2, 2);
  g_autoptr (SeTensor) ta = act_tensor_dims (gpu, a, B, C1, H, W);
  g_autoptr (SeTensor) tb = act_tensor_dims (gpu, b, B, C2, H, W);
  g_autoptr (SeTensor) cat = act_tensor_dims (gpu, NULL, B, C1 + C2, H, W);
  g_autoptr (SeTensor) normed = act_tensor_dims (gpu, NULL, B, C1 + C2, H, W);
  float ones[8] = { 1, 1, 1, 1, 1, 1, 1, 1 }, zeros[8] = { 0 };
  g_autoptr (SeTensor) gamma = se_test_tensor_dims (gpu, ones, C1 + C2);
  g_autoptr (SeTensor) beta = se_test_tensor_dims (gpu, zeros, C1 + C2);
  g_autoptr (SeTensor) up = act_tensor_dims (gpu, NULL, B, C1, 2 * H, 2 * W);
  g_autoptr (SeTensor) act_out = act_tensor_dims (gpu, NULL, B, C1, H, W);
  g_autoptr (SeTensor) gated = act_tensor_dims (gpu, NULL, B, C1, H, 3);
  g_autoptr (SeTensor) sum = act_tensor_dims (gpu, NULL, B, C1, H, W);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTensor) rows = se_tensor_view (ta, 0, 4, (gint64[]) { B, C1, H, 6 }, &error);
  g_assert_true (se_op_group_norm_concat (gpu, ta, tb, gamma, beta, 1, 1e-5f, FALSE, cat, normed, &error) &&
                 se_op_upsample_nearest2x (gpu, ta, up, &error) &&
                 se_op_silu (gpu, ta, act_out, &error) &&
                 se_op_add (gpu, ta, ta, sum, &error) &&
                 se_op_geglu (gpu, rows, gated, &error));
  g_assert_no_error (error);
  g_autofree double *g_cat = se_test_fetch (cat), *g_up = se_test_fetch (up), *g_act = se_test_fetch (act_out);
  g_autofree double *g_sum = se_test_fetch (sum), *g_gated = se_test_fetch (gated);
  g_autofree double *w_cat = g_new (double, n1 + n2), *w_up = g_new (double, 4 * n1), *w_act = g_new (double, n1);
  g_autofree double *w_sum = g_new (double, n1), *w_gated = g_new (double, n1 / W * 3);
  for (int bb = 0; bb < B; bb++)
    for (int c = 0; c < C1 + C2; c++)
      for (int p = 0; p < H * W; p++)
        w_cat[((gsize) bb * (C1 + C2) + c) * H * W + p] =
          c < C1 ? a[((gsize) bb * C1 + c) * H * W + p] : b[((gsize) bb * C2 + c - C1) * H * W + p];
  for (int pl = 0; pl < B * C1; pl++)
    for (int y = 0; y < 2 * H; y++)
      for (int x = 0; x < 2 * W; x++)
        w_up[((gsize) pl * 2 * H + y) * 2 * W + x] = a[((gsize) pl * H + y / 2) * W + x / 2];
  for (int i = 0; i < n1; i++) {
    w_act[i] = ref_silu (a[i]);
    w_sum[i] = 2.0 * a[i];
  }
  /* geglu over the first 6 of each row of 7: value 0..2, gate 3..5 (a view
   * of fp16 memory read as rows of 6: element r * 6 + j) */
  for (int r = 0; r < n1 / W; r++)
    for (int j = 0; j < 3; j++)
      w_gated[r * 3 + j] = a[r * 6 + j] * ref_gelu (a[r * 6 + 3 + j]);
  se_test_assert_close ("fp16 group_norm_concat: the join", g_cat, w_cat, n1 + n2, 0.0);
  /* one group per batch element, gamma 1, beta 0: the join standardized */
  g_autofree double *g_normed = se_test_fetch (normed), *w_normed = g_new (double, n1 + n2);
  gsize per = (gsize) (C1 + C2) * H * W;
  for (int bb = 0; bb < B; bb++) {
    const double *v = w_cat + bb * per;
    double mean = 0.0, var = 0.0;
    for (gsize i = 0; i < per; i++)
      mean += v[i] / (double) per;
    for (gsize i = 0; i < per; i++)
      var += (v[i] - mean) * (v[i] - mean) / (double) per;
    for (gsize i = 0; i < per; i++)
      w_normed[bb * per + i] = (v[i] - mean) / sqrt (var + 1e-5);
  }
  se_test_assert_close ("fp16 group_norm_concat: the norm", g_normed, w_normed, n1 + n2, FP16_BOUND);
  se_test_assert_close ("fp16 upsample", g_up, w_up, 4 * n1, 0.0);
  se_test_assert_close ("fp16 silu", g_act, w_act, n1, FP16_BOUND);
  se_test_assert_close ("fp16 add", g_sum, w_sum, n1, 0.0);
  se_test_assert_close ("fp16 geglu", g_gated, w_gated, n1 / W * 3, FP16_BOUND);
}

static void
test_fp16_activations (SeGpu *gpu)
{
  act = SE_DTYPE_F16;
  test_matmul_layouts (gpu);
  const MatmulCase both_f16 = { 130, 68, 320, 2, FALSE, TRUE, BIAS_COLUMN, FALSE, RES_ALIAS, 1.0f,
                                SE_DTYPE_F16, SE_DTYPE_F16 };
  check_matmul (gpu, &both_f16);
  test_geglu_fused (gpu);
  test_layer_norm_linear (gpu);
  test_conv_packed (gpu);
  test_conv_parts (gpu);
  test_group_norm_fused (gpu);
  test_attention_shapes (gpu);
  test_norms (gpu);
  check_pointwise_f16 (gpu);
  act = SE_DTYPE_F32;
}

static const SeTestCase cases[] = {
  { "matmul_layouts", test_matmul_layouts },
  { "geglu_fused", test_geglu_fused },
  { "layer_norm_linear", test_layer_norm_linear },
  { "pack_conv3x3", test_pack_conv3x3 },
  { "conv_packed", test_conv_packed },
  { "conv_parts", test_conv_parts },
  { "group_norm_fused", test_group_norm_fused },
  { "attention_shapes", test_attention_shapes },
  { "norms", test_norms },
  { "fp16_activations", test_fp16_activations },
};

int
main (int argc, char **argv)
{
  rng = g_rand_new_with_seed (20261201);
  int r = se_test_run_cases (argc, argv, "fast-kernels", cases, G_N_ELEMENTS (cases));
  g_rand_free (rng);
  return r;
}
