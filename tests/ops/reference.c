/* reference.c: the double-precision operator references. */
#include "reference.h"

#include <math.h>
#include <string.h>

void
ref_matmul (const float *a, const float *b, const float *bias, int batch, int M, int N, int K,
            gboolean trans_b, double alpha, double *out)
{
  for (int z = 0; z < batch; z++)
    for (int m = 0; m < M; m++)
      for (int n = 0; n < N; n++) {
        double s = 0.0;
        for (int k = 0; k < K; k++) {
          double bv = trans_b ? b[((gsize) z * N + n) * K + k] : b[((gsize) z * K + k) * N + n];
          s += (double) a[((gsize) z * M + m) * K + k] * bv;
        }
        out[((gsize) z * M + m) * N + n] = alpha * s + (bias ? bias[n] : 0.0);
      }
}

void
ref_conv2d (const float *x, const float *w, const float *bias, int B, int C, int H, int W, int O,
            int KH, int KW, int stride, int pad, double *out)
{
  ref_conv2d_asym (x, w, bias, B, C, H, W, O, KH, KW, stride, pad, pad, out);
}

void
ref_conv2d_asym (const float *x, const float *w, const float *bias, int B, int C, int H, int W,
                 int O, int KH, int KW, int stride, int pad, int pad_end, double *out)
{
  int OH = (H + pad + pad_end - KH) / stride + 1, OW = (W + pad + pad_end - KW) / stride + 1;
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++) {
          double s = bias ? bias[o] : 0.0;
          for (int c = 0; c < C; c++)
            for (int ky = 0; ky < KH; ky++)
              for (int kx = 0; kx < KW; kx++) {
                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                  continue;
                s += (double) w[((o * C + c) * KH + ky) * KW + kx] *
                     x[(((gsize) b * C + c) * H + iy) * W + ix];
              }
          out[(((gsize) b * O + o) * OH + oy) * OW + ox] = s;
        }
}

double ref_silu (double x) { return x / (1.0 + exp (-x)); }
double ref_gelu (double x) { return 0.5 * x * (1.0 + erf (x / sqrt (2.0))); }
double ref_quick_gelu (double x) { return x / (1.0 + exp (-1.702 * x)); }

void
ref_group_norm (const float *x, const float *gamma, const float *beta, int B, int C, int HW,
                int G, double eps, gboolean silu, double *out)
{
  int cpg = C / G;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < G; g++) {
      gsize base = ((gsize) b * C + (gsize) g * cpg) * HW, n = (gsize) cpg * HW;
      double mean = 0.0, var = 0.0;
      for (gsize i = 0; i < n; i++)
        mean += x[base + i];
      mean /= (double) n;
      for (gsize i = 0; i < n; i++)
        var += (x[base + i] - mean) * (x[base + i] - mean);
      var /= (double) n;
      for (gsize i = 0; i < n; i++) {
        int c = g * cpg + (int) (i / HW);
        double v = (x[base + i] - mean) / sqrt (var + eps) * gamma[c] + beta[c];
        out[base + i] = silu ? ref_silu (v) : v;
      }
    }
}

void
ref_layer_norm (const float *x, const float *gamma, const float *beta, int rows, int N, double eps,
                double *out)
{
  for (int r = 0; r < rows; r++) {
    const float *row = x + (gsize) r * N;
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < N; i++)
      mean += row[i];
    mean /= N;
    for (int i = 0; i < N; i++)
      var += (row[i] - mean) * (row[i] - mean);
    var /= N;
    for (int i = 0; i < N; i++)
      out[(gsize) r * N + i] = (row[i] - mean) / sqrt (var + eps) * gamma[i] + beta[i];
  }
}

void
ref_softmax (const float *x, int rows, int N, double scale, double *out)
{
  for (int r = 0; r < rows; r++) {
    const float *row = x + (gsize) r * N;
    double m = -INFINITY, s = 0.0;
    for (int i = 0; i < N; i++)
      m = fmax (m, scale * row[i]);
    for (int i = 0; i < N; i++)
      s += exp (scale * row[i] - m);
    for (int i = 0; i < N; i++)
      out[(gsize) r * N + i] = exp (scale * row[i] - m) / s;
  }
}

/* Row i of batch b, head h: the softmax weights of the first n keys into
 * s (unnormalised, max subtracted); returns their sum. */
static double
softmax_row (const float *q, const float *k, int b, int i, int h, int Lq, int Lk, int H, int D, int n, double *s)
{
  int C = H * D;
  double scale = 1.0 / sqrt ((double) D), m = -INFINITY, sum = 0.0;
  const float *qi = q + ((gsize) b * Lq + i) * C + h * D;
  for (int j = 0; j < n; j++) {
    const float *kj = k + ((gsize) b * Lk + j) * C + h * D;
    double dot = 0.0;
    for (int d = 0; d < D; d++)
      dot += (double) qi[d] * kj[d];
    s[j] = dot * scale;
    m = fmax (m, s[j]);
  }
  for (int j = 0; j < n; j++)
    sum += s[j] = exp (s[j] - m);
  return sum;
}

void
ref_attention (const float *q, const float *k, const float *v, int B, int Lq, int Lk, int H, int D,
               gboolean causal, double *out)
{
  int C = H * D;
  g_autofree double *s = g_new (double, Lk);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < Lq; i++) {
        int n = causal ? MIN (Lk, i + 1) : Lk;
        double sum = softmax_row (q, k, b, i, h, Lq, Lk, H, D, n, s);
        double *o = out + ((gsize) b * Lq + i) * C + h * D;
        for (int d = 0; d < D; d++) {
          double acc = 0.0;
          for (int j = 0; j < n; j++)
            acc += s[j] * v[((gsize) b * Lk + j) * C + h * D + d];
          o[d] = acc / sum;
        }
      }
}

void
ref_timestep_embedding (const float *t, int B, int dim, gboolean flip, double shift, double *out)
{
  int half = dim / 2;
  for (int b = 0; b < B; b++) {
    for (int k = 0; k < half; k++) {
      double f = exp (-log (10000.0) * k / (half - shift));
      double s = sin (t[b] * f), c = cos (t[b] * f);
      out[(gsize) b * dim + k] = flip ? c : s;
      out[(gsize) b * dim + half + k] = flip ? s : c;
    }
    if (dim % 2)
      out[(gsize) b * dim + dim - 1] = 0.0;
  }
}

void
ref_attention_probs (const float *q, const float *k, int B, int Lq, int Lk, int H, int D, double *out)
{
  g_autofree double *s = g_new (double, Lk);
  memset (out, 0, sizeof (double) * B * Lq * Lk);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < Lq; i++) {
        double sum = softmax_row (q, k, b, i, h, Lq, Lk, H, D, Lk, s);
        for (int j = 0; j < Lk; j++)
          out[((gsize) b * Lq + i) * Lk + j] += s[j] / sum / H;
      }
}
