/* test_ops.c: every operator on the Vulkan device against reference.c
 * (attention is tested in test_fast_kernels.c, with both kernel families
 * and both activation types).
 *
 * Run as `test-ops NAME` (meson registers each case as its own test) or with
 * no argument for all.  Inputs are seeded random values in [-1, 1); outputs
 * are poisoned with NaN before each run; errors are max|gpu - ref| over
 * max|ref|.  Bounds: 1e-5 where fp32 accumulates up to a few thousand
 * products or sums (rounding grows like sqrt(K) * 6e-8, far below), 1e-6 for
 * pointwise ops, 2e-4 for the timestep embedding: in fp32 the frequency
 * exp(-ln(1e4) k / half) carries about 1.2e-7 relative error and t * f another
 * 6e-8, which at t = 999 is 1.8e-4 rad of phase; diffusers' own fp32 path
 * computes the same products. */
#include <math.h>
#include <string.h>

#include "reference.h"
#include "test-util.h"

#define GEMM_BOUND 1e-5
#define POINTWISE_BOUND 1e-6

static GRand *rng;

static void
check_linear (SeGpu *gpu, int M, int N, int K, gboolean with_bias)
{
  g_autofree float *x = se_test_random (rng, (gsize) M * K, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) N * K, -1, 1);
  g_autofree float *bias = se_test_random (rng, N, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, M, K);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, N, K);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, M, N);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_linear (gpu, tx, tw, with_bias ? tb : NULL, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, (gsize) M * N);
  ref_matmul (x, w, with_bias ? bias : NULL, 1, M, N, K, TRUE, 1.0, want);
  g_autofree char *what = g_strdup_printf ("linear %dx%d <- %d%s", M, N, K, with_bias ? " +bias" : "");
  se_test_assert_close (what, got, want, (gsize) M * N, GEMM_BOUND);
}

static void
test_linear (SeGpu *gpu)
{
  check_linear (gpu, 1, 1, 1, TRUE);
  check_linear (gpu, 77, 32, 37, TRUE);
  check_linear (gpu, 130, 65, 33, FALSE);
  check_linear (gpu, 5, 300, 70, TRUE);
  check_linear (gpu, 257, 129, 1280, TRUE);
}

/* 1x1 projections between [B, C, H, W] maps and [B, H*W, C] tokens. */
static void
test_map_token_projections (SeGpu *gpu)
{
  int B = 2, C = 19, H = 5, W = 7, O = 23, P = H * W;
  g_autofree float *x = se_test_random (rng, (gsize) B * C * P, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) O * C, -1, 1);
  g_autofree float *bias = se_test_random (rng, O, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, O, C, 1, 1);   /* conv kernel form */
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, O);
  g_autoptr (SeTensor) tokens = se_test_tensor_dims (gpu, NULL, B, P, O);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_tokens_from_map (gpu, tx, tw, tb, tokens, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (tokens);
  g_autofree double *want = g_new (double, (gsize) B * P * O);
  for (int b = 0; b < B; b++)
    for (int p = 0; p < P; p++)
      for (int o = 0; o < O; o++) {
        double acc = bias[o];
        for (int c = 0; c < C; c++)
          acc += (double) w[o * C + c] * x[((gsize) b * C + c) * P + p];
        want[((gsize) b * P + p) * O + o] = acc;
      }
  se_test_assert_close ("tokens_from_map", got, want, (gsize) B * P * O, GEMM_BOUND);

  /* and back: tokens [B, P, C2] -> map [B, O2, H, W] */
  int C2 = O, O2 = 11;
  g_autofree float *w2 = se_test_random (rng, (gsize) O2 * C2, -1, 1);
  g_autofree float *b2 = se_test_random (rng, O2, -1, 1);
  g_autofree float *t = g_new (float, (gsize) B * P * C2);
  for (gsize i = 0; i < (gsize) B * P * C2; i++)
    t[i] = (float) got[i];
  g_autoptr (SeTensor) tw2 = se_test_tensor_dims (gpu, w2, O2, C2);
  g_autoptr (SeTensor) tb2 = se_test_tensor_dims (gpu, b2, O2);
  g_autoptr (SeTensor) map = se_test_tensor_dims (gpu, NULL, B, O2, H, W);
  g_assert_true (se_op_map_from_tokens (gpu, tokens, tw2, tb2, NULL, map, &error));
  g_assert_no_error (error);
  g_autofree double *got2 = se_test_fetch (map);
  g_autofree double *want2 = g_new (double, (gsize) B * O2 * P);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O2; o++)
      for (int p = 0; p < P; p++) {
        double acc = b2[o];
        for (int c = 0; c < C2; c++)
          acc += (double) w2[o * C2 + c] * t[((gsize) b * P + p) * C2 + c];
        want2[((gsize) b * O2 + o) * P + p] = acc;
      }
  se_test_assert_close ("map_from_tokens", got2, want2, (gsize) B * O2 * P, GEMM_BOUND);

  /* copy */
  g_autoptr (SeTensor) copy = se_test_tensor_dims (gpu, NULL, B, O2, H, W);
  g_assert_true (se_op_copy (gpu, map, copy, &error));
  g_autofree double *got3 = se_test_fetch (copy);
  se_test_assert_close ("copy", got3, got2, copy->numel, 0.0);
}

/* fp16 weights: the same products with the weights rounded to half first;
 * the fp16 shader variants must match that to fp32 accuracy. */
static void
test_fp16_weights (SeGpu *gpu)
{
  int M = 67, N = 45, K = 131, B = 2, C = 13, H = 9, W = 11, O = 21;
  g_autofree float *x = se_test_random (rng, (gsize) M * K, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) N * K, -1, 1);
  g_autofree float *bias = se_test_random (rng, N, -1, 1);
  g_autofree float *wr = g_new (float, (gsize) N * K);
  for (gsize i = 0; i < (gsize) N * K; i++)
    wr[i] = se_half_to_float (se_float_to_half (w[i]));
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, M, K);
  g_autoptr (SeTensor) tw = se_tensor_new_typed (gpu, SE_DTYPE_F16, 2, (gint64[]) { N, K }, &error);
  g_assert_true (se_tensor_upload (tw, w, &error));
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, M, N);
  g_assert_true (se_op_linear (gpu, tx, tw, tb, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, (gsize) M * N);
  ref_matmul (x, wr, bias, 1, M, N, K, TRUE, 1.0, want);
  se_test_assert_close ("linear, fp16 weight (B operand)", got, want, (gsize) M * N, GEMM_BOUND);

  /* fp16 weight as the A operand: map_from_tokens */
  g_autofree float *tok = se_test_random (rng, (gsize) B * H * W * C, -1, 1);
  g_autofree float *w2 = se_test_random (rng, (gsize) O * C, -1, 1);
  g_autoptr (SeTensor) ttok = se_test_tensor_dims (gpu, tok, B, H * W, C);
  g_autoptr (SeTensor) tw2 = se_tensor_new_typed (gpu, SE_DTYPE_F16, 2, (gint64[]) { O, C }, &error);
  g_assert_true (se_tensor_upload (tw2, w2, &error));
  g_autoptr (SeTensor) map = se_test_tensor_dims (gpu, NULL, B, O, H, W);
  g_assert_true (se_op_map_from_tokens (gpu, ttok, tw2, NULL, NULL, map, &error));
  g_assert_no_error (error);
  g_autofree double *got2 = se_test_fetch (map);
  g_autofree double *want2 = g_new (double, map->numel);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      for (int p = 0; p < H * W; p++) {
        double acc = 0.0;
        for (int c = 0; c < C; c++)
          acc += (double) se_half_to_float (se_float_to_half (w2[o * C + c])) * tok[((gsize) b * H * W + p) * C + c];
        want2[((gsize) b * O + o) * H * W + p] = acc;
      }
  se_test_assert_close ("map_from_tokens, fp16 weight (A operand)", got2, want2, map->numel, GEMM_BOUND);

  /* fp16 conv kernel, odd element count (3 * 13 * 3 * 3 = 351 halves) */
  g_autofree float *img = se_test_random (rng, (gsize) B * C * H * W, -1, 1);
  g_autofree float *k = se_test_random (rng, (gsize) 3 * C * 9, -1, 1);
  g_autofree float *kr = g_new (float, (gsize) 3 * C * 9);
  for (gsize i = 0; i < (gsize) 3 * C * 9; i++)
    kr[i] = se_half_to_float (se_float_to_half (k[i]));
  g_autoptr (SeTensor) timg = se_test_tensor_dims (gpu, img, B, C, H, W);
  g_autoptr (SeTensor) tk = se_tensor_new_typed (gpu, SE_DTYPE_F16, 4, (gint64[]) { 3, C, 3, 3 }, &error);
  g_assert_true (se_tensor_upload (tk, k, &error));
  g_autoptr (SeTensor) tconv = se_test_tensor_dims (gpu, NULL, B, 3, H, W);
  g_assert_true (se_op_conv2d (gpu, timg, tk, NULL, 1, 1, tconv, &error));
  g_assert_no_error (error);
  g_autofree double *got3 = se_test_fetch (tconv);
  g_autofree double *want3 = g_new (double, tconv->numel);
  ref_conv2d (img, kr, NULL, B, C, H, W, 3, 3, 3, 1, 1, want3);
  se_test_assert_close ("conv2d, fp16 kernel", got3, want3, tconv->numel, GEMM_BOUND);

  /* an operator's activations share one type: fp32 and fp16 do not mix */
  g_autoptr (SeTensor) half_out = se_tensor_new_typed (gpu, SE_DTYPE_F16, 2, (gint64[]) { M, N }, &error);
  g_assert_false (se_op_silu (gpu, to, half_out, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "share one type"));
}

static void
check_bmm (SeGpu *gpu, int B, int M, int N, int K, gboolean trans_b, float alpha)
{
  g_autofree float *a = se_test_random (rng, (gsize) B * M * K, -1, 1);
  g_autofree float *b = se_test_random (rng, (gsize) B * K * N, -1, 1);
  g_autoptr (SeTensor) ta = se_test_tensor_dims (gpu, a, B, M, K);
  g_autoptr (SeTensor) tb = trans_b ? se_test_tensor_dims (gpu, b, B, N, K)
                                    : se_test_tensor_dims (gpu, b, B, K, N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, M, N);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_bmm (gpu, ta, tb, trans_b, alpha, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, (gsize) B * M * N);
  ref_matmul (a, b, NULL, B, M, N, K, trans_b, alpha, want);
  g_autofree char *what = g_strdup_printf ("bmm %dx%dx%dx%d%s", B, M, N, K, trans_b ? " transposed" : "");
  se_test_assert_close (what, got, want, (gsize) B * M * N, GEMM_BOUND);
}

static void
test_bmm (SeGpu *gpu)
{
  check_bmm (gpu, 3, 17, 9, 40, FALSE, 1.0f);
  check_bmm (gpu, 2, 77, 77, 8, TRUE, 0.35f);
  check_bmm (gpu, 4, 65, 130, 67, TRUE, -2.0f);
}

static void
check_conv (SeGpu *gpu, int B, int C, int H, int W, int O, int KS, int stride, int pad,
            gboolean with_bias)
{
  int OH = (H + 2 * pad - KS) / stride + 1, OW = (W + 2 * pad - KS) / stride + 1;
  g_autofree float *x = se_test_random (rng, (gsize) B * C * H * W, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) O * C * KS * KS, -1, 1);
  g_autofree float *bias = se_test_random (rng, O, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, O, C, KS, KS);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, O);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, O, OH, OW);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_conv2d (gpu, tx, tw, with_bias ? tb : NULL, stride, pad, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, to->numel);
  ref_conv2d (x, w, with_bias ? bias : NULL, B, C, H, W, O, KS, KS, stride, pad, want);
  g_autofree char *what = g_strdup_printf ("conv2d %dx%dx%dx%d -> %d, %dx%d stride %d pad %d",
                                           B, C, H, W, O, KS, KS, stride, pad);
  se_test_assert_close (what, got, want, to->numel, GEMM_BOUND);
}

/* VAE encoder downsampler: pad (0, 1, 0, 1), 3x3, stride 2; the reference
 * pads explicitly, then convolves without padding. */
static void
check_conv_asym (SeGpu *gpu, int B, int C, int H, int W, int O)
{
  int PH = H + 1, PW = W + 1;
  int OH = (PH - 3) / 2 + 1, OW = (PW - 3) / 2 + 1;
  g_autofree float *x = se_test_random (rng, (gsize) B * C * H * W, -1, 1);
  g_autofree float *padded = g_new0 (float, (gsize) B * C * PH * PW);
  for (int p = 0; p < B * C; p++)
    for (int y = 0; y < H; y++)
      for (int xx = 0; xx < W; xx++)
        padded[((gsize) p * PH + y) * PW + xx] = x[((gsize) p * H + y) * W + xx];
  g_autofree float *w = se_test_random (rng, (gsize) O * C * 9, -1, 1);
  g_autofree float *bias = se_test_random (rng, O, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, O, C, 3, 3);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, O);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, O, OH, OW);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_conv2d_asym (gpu, tx, tw, tb, 2, 0, 1, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, to->numel);
  ref_conv2d (padded, w, bias, B, C, PH, PW, O, 3, 3, 2, 0, want);
  se_test_assert_close ("conv2d pad (0, 1, 0, 1) stride 2", got, want, to->numel, GEMM_BOUND);
}

/* A layer computed in channel parts (2 input x 3 output parts, summed with
 * accumulate) equals the whole layer. */
static void
check_conv_parts (SeGpu *gpu)
{
  int C = 16, O = 12, H = 9, W = 7;
  g_autofree float *x = se_test_random (rng, (gsize) C * H * W, -1, 1);
  g_autofree float *w = se_test_random (rng, (gsize) O * C * 9, -1, 1);
  g_autofree float *bias = se_test_random (rng, O, -1, 1);
  g_autoptr (SeTensor) tw = se_test_tensor_dims (gpu, w, O, C, 3, 3);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, bias, O);
  g_autoptr (GError) error = NULL;
  g_autofree double *want = g_new (double, (gsize) O * H * W);
  ref_conv2d (x, w, bias, 1, C, H, W, O, 3, 3, 1, 1, want);
  g_autofree double *got = g_new (double, (gsize) O * H * W);
  for (int j = 0; j < 3; j++) {
    g_autoptr (SeTensor) out = se_test_tensor_dims (gpu, NULL, 1, O / 3, H, W);
    for (int i = 0; i < 2; i++) {
      g_autoptr (SeTensor) xi = se_test_tensor_dims (gpu, x + (gsize) i * (C / 2) * H * W, 1, C / 2, H, W);
      SeConvPart part = { .stride = 1, .pad_begin = 1, .pad_end = 1, .cin_off = (guint) (i * C / 2),
                          .cout_off = (guint) (j * O / 3), .accumulate = i > 0 };
      g_assert_true (se_op_conv2d_part (gpu, xi, tw, i == 0 ? tb : NULL, &part, out, &error));
      g_assert_no_error (error);
    }   /* xi is freed with its dispatch still unsubmitted: its range must not be reused early */
    g_autofree double *part_out = se_test_fetch (out);
    memcpy (got + (gsize) j * (O / 3) * H * W, part_out, out->numel * sizeof (double));
  }
  se_test_assert_close ("conv2d in 2 x 3 channel parts", got, want, (gsize) O * H * W, GEMM_BOUND);
}

static void
test_conv2d (SeGpu *gpu)
{
  check_conv_parts (gpu);
  check_conv_asym (gpu, 1, 3, 16, 24, 8);
  check_conv_asym (gpu, 2, 5, 9, 7, 4);
  check_conv (gpu, 2, 3, 7, 11, 5, 3, 1, 1, TRUE);      /* odd, non-square */
  check_conv (gpu, 1, 4, 9, 13, 6, 3, 2, 1, TRUE);      /* downsampler shape */
  check_conv (gpu, 2, 8, 16, 8, 8, 3, 2, 1, FALSE);
  check_conv (gpu, 2, 70, 8, 16, 33, 1, 1, 0, TRUE);    /* 1x1 projection */
  check_conv (gpu, 1, 64, 12, 20, 70, 3, 1, 1, TRUE);   /* K = 576 */
}

static void
check_group_norm (SeGpu *gpu, int B, int C, int H, int W, int G, float eps, gboolean silu)
{
  gsize n = (gsize) B * C * H * W;
  g_autofree float *x = se_test_random (rng, n, -1, 1);
  for (gsize i = 0; i < n; i++)
    x[i] = x[i] * 3.0f + 0.5f;                          /* a mean and spread to remove */
  g_autofree float *gamma = se_test_random (rng, C, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, C, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, C);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, beta, C);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, C, H, W);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_group_norm (gpu, tx, tg, tb, G, eps, silu, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  ref_group_norm (x, gamma, beta, B, C, H * W, G, eps, silu, want);
  g_autofree char *what = g_strdup_printf ("group_norm %dx%dx%dx%d G%d%s", B, C, H, W, G, silu ? " +silu" : "");
  se_test_assert_close (what, got, want, n, GEMM_BOUND);
}

static void
test_group_norm (SeGpu *gpu)
{
  check_group_norm (gpu, 2, 64, 5, 7, 32, 1e-5f, FALSE);
  check_group_norm (gpu, 2, 64, 5, 7, 32, 1e-5f, TRUE);
  check_group_norm (gpu, 1, 96, 3, 9, 32, 1e-6f, TRUE);
  check_group_norm (gpu, 1, 32, 64, 64, 32, 1e-6f, FALSE);
}

static void
check_layer_norm (SeGpu *gpu, int rows, int N)
{
  gsize n = (gsize) rows * N;
  g_autofree float *x = se_test_random (rng, n, -2, 3);
  g_autofree float *gamma = se_test_random (rng, N, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, N, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, rows, N);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, N);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, beta, N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, rows, N);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_layer_norm (gpu, tx, tg, tb, 1e-5f, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  ref_layer_norm (x, gamma, beta, rows, N, 1e-5, want);
  g_autofree char *what = g_strdup_printf ("layer_norm %dx%d", rows, N);
  se_test_assert_close (what, got, want, n, GEMM_BOUND);
}

static void
test_layer_norm (SeGpu *gpu)
{
  check_layer_norm (gpu, 77, 32);
  check_layer_norm (gpu, 3, 1280);
  check_layer_norm (gpu, 1, 37);
}

static void
check_softmax (SeGpu *gpu, int rows, int N, float scale)
{
  gsize n = (gsize) rows * N;
  g_autofree float *x = se_test_random (rng, n, -4, 4);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, rows, N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, rows, N);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_softmax (gpu, tx, scale, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  ref_softmax (x, rows, N, scale, want);
  g_autofree char *what = g_strdup_printf ("softmax %dx%d scale %g", rows, N, scale);
  se_test_assert_close (what, got, want, n, GEMM_BOUND);
}

static void
test_softmax (SeGpu *gpu)
{
  check_softmax (gpu, 5, 77, 1.0f);
  check_softmax (gpu, 3, 4096, 0.3f);
  check_softmax (gpu, 7, 1, 1.0f);
}

typedef enum { UNARY_SILU, UNARY_GELU, UNARY_QUICK_GELU } Unary;

static void
check_unary (SeGpu *gpu, Unary kind, const char *name)
{
  gsize n = 7 * 10001;
  g_autofree float *x = se_test_random (rng, n, -6, 6);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, 7, 10001);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, 7, 10001);
  g_autoptr (GError) error = NULL;
  gboolean ok = kind == UNARY_SILU ? se_op_silu (gpu, tx, to, &error)
              : kind == UNARY_GELU ? se_op_gelu (gpu, tx, to, &error)
              : se_op_quick_gelu (gpu, tx, to, &error);
  g_assert_true (ok);
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    want[i] = kind == UNARY_SILU ? ref_silu (x[i]) : kind == UNARY_GELU ? ref_gelu (x[i])
            : ref_quick_gelu (x[i]);
  se_test_assert_close (name, got, want, n, POINTWISE_BOUND);
}

static void test_silu (SeGpu *gpu) { check_unary (gpu, UNARY_SILU, "silu"); }
static void test_gelu (SeGpu *gpu) { check_unary (gpu, UNARY_GELU, "gelu"); }
static void test_quick_gelu (SeGpu *gpu) { check_unary (gpu, UNARY_QUICK_GELU, "quick_gelu"); }

static void
test_geglu (SeGpu *gpu)
{
  int rows = 129, N = 37;
  g_autofree float *x = se_test_random (rng, (gsize) rows * 2 * N, -4, 4);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, 1, rows, 2 * N);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, 1, rows, N);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_geglu (gpu, tx, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, (gsize) rows * N);
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < N; j++)
      want[r * N + j] = x[r * 2 * N + j] * ref_gelu (x[r * 2 * N + N + j]);
  se_test_assert_close ("geglu", got, want, (gsize) rows * N, POINTWISE_BOUND);
}

/* a (2, 5, 3, 7) combined with b of the given shape; op 0 add, 1 mul. */
static void
check_binary (SeGpu *gpu, int op, guint b_ndim, const gint64 *b_shape)
{
  const gint64 a_shape[] = { 2, 5, 3, 7 };
  gsize n = 2 * 5 * 3 * 7, bn = 1;
  for (guint i = 0; i < b_ndim; i++)
    bn *= (gsize) b_shape[i];
  gboolean leading = b_shape[0] == 2 && b_ndim < 4;
  g_autofree float *a = se_test_random (rng, n, -1, 1);
  g_autofree float *b = se_test_random (rng, bn, -1, 1);
  g_autoptr (SeTensor) ta = se_test_tensor (gpu, a, 4, a_shape);
  g_autoptr (SeTensor) tb = se_test_tensor (gpu, b, b_ndim, b_shape);
  g_autoptr (SeTensor) to = se_test_tensor (gpu, NULL, 4, a_shape);
  g_autoptr (GError) error = NULL;
  g_assert_true (op == 0 ? se_op_add (gpu, ta, tb, to, &error) : se_op_mul (gpu, ta, tb, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, n);
  for (gsize i = 0; i < n; i++) {
    double bv = b[leading ? i / (n / bn) : i % bn];
    want[i] = op == 0 ? a[i] + bv : a[i] * bv;
  }
  g_autofree char *what = g_strdup_printf ("%s with b of %zu elements", op ? "mul" : "add", bn);
  se_test_assert_close (what, got, want, n, POINTWISE_BOUND);
}

static void
test_add_mul (SeGpu *gpu)
{
  const gint64 same[] = { 2, 5, 3, 7 }, lead[] = { 2, 5 }, trail[] = { 3, 7 };
  for (int op = 0; op < 2; op++) {
    check_binary (gpu, op, 4, same);
    check_binary (gpu, op, 2, lead);    /* time embedding onto [B, C, H, W] */
    check_binary (gpu, op, 2, trail);   /* bias onto the last dimensions */
  }
  /* in place and scale */
  g_autofree float *a = se_test_random (rng, 1000, -1, 1);
  g_autoptr (SeTensor) ta = se_test_tensor_dims (gpu, a, 10, 100);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_scale (gpu, ta, -0.5f, ta, &error));
  g_assert_true (se_op_add (gpu, ta, ta, ta, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (ta);
  g_autofree double *want = g_new (double, 1000);
  for (int i = 0; i < 1000; i++)
    want[i] = 2.0 * (-0.5 * a[i]);
  se_test_assert_close ("scale then add in place", got, want, 1000, POINTWISE_BOUND);
  /* a shape that does not broadcast is refused */
  const gint64 bad[] = { 3 };
  g_autoptr (SeTensor) tbad = se_test_tensor (gpu, a, 1, bad);
  g_assert_false (se_op_add (gpu, ta, tbad, ta, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "add"));
}

/* GroupNorm (+SiLU) of two tensors joined along the channels, the join
 * written too: against the join made here and the reference GroupNorm;
 * groups straddling the two tensors (C1 = 40 of 96 in groups of 12). */
static void
test_group_norm_concat (SeGpu *gpu)
{
  int B = 2, C1 = 40, C2 = 56, C = C1 + C2, H = 5, W = 7, G = 8;
  gsize hw = (gsize) H * W, n = (gsize) B * C * hw;
  g_autofree float *a = se_test_random (rng, (gsize) B * C1 * hw, -2, 3);
  g_autofree float *b = se_test_random (rng, (gsize) B * C2 * hw, -1, 1);
  g_autofree float *gamma = se_test_random (rng, C, 0.5, 1.5);
  g_autofree float *beta = se_test_random (rng, C, -1, 1);
  g_autofree float *joined = g_new (float, n);
  for (int bb = 0; bb < B; bb++)
    for (int c = 0; c < C; c++)
      for (gsize p = 0; p < hw; p++)
        joined[((gsize) bb * C + c) * hw + p] = c < C1 ? a[((gsize) bb * C1 + c) * hw + p]
                                                       : b[((gsize) bb * C2 + c - C1) * hw + p];
  g_autoptr (SeTensor) ta = se_test_tensor_dims (gpu, a, B, C1, H, W);
  g_autoptr (SeTensor) tb = se_test_tensor_dims (gpu, b, B, C2, H, W);
  g_autoptr (SeTensor) tg = se_test_tensor_dims (gpu, gamma, C);
  g_autoptr (SeTensor) tbeta = se_test_tensor_dims (gpu, beta, C);
  g_autoptr (SeTensor) cat = se_test_tensor_dims (gpu, NULL, B, C, H, W);
  g_autoptr (SeTensor) out = se_test_tensor_dims (gpu, NULL, B, C, H, W);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_group_norm_concat (gpu, ta, tb, tg, tbeta, G, 1e-5f, TRUE, cat, out, &error));
  g_assert_no_error (error);
  g_autofree double *got_cat = se_test_fetch (cat), *got = se_test_fetch (out);
  g_autofree double *want_cat = g_new (double, n), *want = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    want_cat[i] = joined[i];
  ref_group_norm (joined, gamma, beta, B, C, (int) hw, G, 1e-5, TRUE, want);
  se_test_assert_close ("group_norm_concat: the join", got_cat, want_cat, n, 0.0);
  se_test_assert_close ("group_norm_concat: the norm", got, want, n, GEMM_BOUND);
  /* shapes that do not join are refused */
  g_autoptr (SeTensor) odd = se_test_tensor_dims (gpu, NULL, B, C2, H, W + 1);
  g_assert_false (se_op_group_norm_concat (gpu, ta, odd, tg, tbeta, G, 1e-5f, TRUE, cat, out, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
}

/* fp32 -> fp16 -> fp32 on the device: each value rounded to the nearest
 * half (ties to even, subnormals kept; the host's conversion, which
 * test_safetensors checks bit for bit), and past 65504 infinite. */
static void
test_cast (SeGpu *gpu)
{
  if (!gpu->info.storage_16bit)
    g_test_skip ("no 16-bit storage");
  else {
    enum { N = 1001 };
    g_autofree float *x = se_test_random (rng, N, -3, 3);
    x[0] = 1.0f + ldexpf (1.0f, -11);      /* a tie: to even, 1 */
    x[1] = -1e-6f;                          /* a half subnormal */
    x[2] = 65504.0f;
    x[3] = 70000.0f;                        /* overflows */
    g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, N);
    g_autoptr (GError) error = NULL;
    g_autoptr (SeTensor) half = se_op_cast (gpu, tx, SE_DTYPE_F16, &error);
    g_assert_no_error (error);
    g_assert_cmpint (half->dtype, ==, SE_DTYPE_F16);
    g_autoptr (SeTensor) back = se_op_cast (gpu, half, SE_DTYPE_F32, &error);
    g_assert_no_error (error);
    g_autofree double *got = se_test_fetch (back);
    g_assert_true (isinf (got[3]) && got[3] > 0);
    got[3] = 0.0;
    g_autofree double *want = g_new (double, N);
    for (gsize i = 0; i < N; i++)
      want[i] = i == 3 ? 0.0 : se_half_to_float (se_float_to_half (x[i]));
    g_assert_cmpfloat (got[0], ==, 1.0);
    se_test_assert_close ("cast fp32 -> fp16 -> fp32", got, want, N, 0.0);
  }
}

static void
test_upsample (SeGpu *gpu)
{
  int B = 2, C = 3, H = 5, W = 7;
  g_autofree float *x = se_test_random (rng, (gsize) B * C * H * W, -1, 1);
  g_autoptr (SeTensor) tx = se_test_tensor_dims (gpu, x, B, C, H, W);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, C, 2 * H, 2 * W);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_upsample_nearest2x (gpu, tx, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, to->numel);
  for (int p = 0; p < B * C; p++)
    for (int y = 0; y < 2 * H; y++)
      for (int xx = 0; xx < 2 * W; xx++)
        want[(p * 2 * H + y) * 2 * W + xx] = x[(p * H + y / 2) * W + xx / 2];
  se_test_assert_close ("upsample nearest 2x", got, want, to->numel, 0.0);
}

static void
check_timestep (SeGpu *gpu, const float *t, int B, int dim, gboolean flip, float shift)
{
  g_autoptr (SeTensor) tt = se_test_tensor_dims (gpu, t, B);
  g_autoptr (SeTensor) to = se_test_tensor_dims (gpu, NULL, B, dim);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_op_timestep_embedding (gpu, tt, flip, shift, to, &error));
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (to);
  g_autofree double *want = g_new (double, to->numel);
  ref_timestep_embedding (t, B, dim, flip, shift, want);
  g_autofree char *what = g_strdup_printf ("timestep embedding dim %d%s shift %g", dim,
                                           flip ? " flipped" : "", shift);
  se_test_assert_close (what, got, want, to->numel, 2e-4);
}

static void
test_timestep_embedding (SeGpu *gpu)
{
  const float t[] = { 981, 21, 1, 500.5f, 999 };
  check_timestep (gpu, t, 5, 320, TRUE, 0.0f);
  check_timestep (gpu, t, 3, 7, FALSE, 1.0f);
  check_timestep (gpu, t, 2, 32, TRUE, 0.0f);
}

static void
test_shape_errors (SeGpu *gpu)
{
  g_autoptr (SeTensor) x = se_test_tensor_dims (gpu, NULL, 1, 4, 8, 8);
  g_autoptr (SeTensor) w = se_test_tensor_dims (gpu, NULL, 6, 3, 3, 3);
  g_autoptr (SeTensor) out = se_test_tensor_dims (gpu, NULL, 1, 6, 8, 8);
  g_autoptr (GError) error = NULL;
  g_assert_false (se_op_conv2d (gpu, x, w, NULL, 1, 1, out, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "conv2d"));
  g_assert_nonnull (strstr (error->message, "[6, 3, 3, 3]"));
  g_clear_error (&error);
  g_assert_false (se_op_group_norm (gpu, x, out, out, 3, 1e-5f, FALSE, x, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (se_op_attention (gpu, x, x, x, 3, FALSE, x, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
}

static const SeTestCase cases[] = {
  { "linear", test_linear },
  { "bmm", test_bmm },
  { "map_token_projections", test_map_token_projections },
  { "fp16_weights", test_fp16_weights },
  { "conv2d", test_conv2d },
  { "group_norm", test_group_norm },
  { "layer_norm", test_layer_norm },
  { "softmax", test_softmax },
  { "silu", test_silu },
  { "gelu", test_gelu },
  { "quick_gelu", test_quick_gelu },
  { "geglu", test_geglu },
  { "add_mul_scale", test_add_mul },
  { "group_norm_concat", test_group_norm_concat },
  { "cast", test_cast },
  { "upsample", test_upsample },
  { "timestep_embedding", test_timestep_embedding },
  { "shape_errors", test_shape_errors },
};

int
main (int argc, char **argv)
{
  rng = g_rand_new_with_seed (20261125);
  int r = se_test_run_cases (argc, argv, "ops", cases, G_N_ELEMENTS (cases));
  g_rand_free (rng);
  return r;
}
