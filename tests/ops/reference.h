/* reference.h: plain C double-precision versions of every operator, written
 * from the definitions (PyTorch / diffusers semantics), independent of the
 * shaders.  Inputs are float arrays as uploaded; outputs are doubles. */
#pragma once

#include <glib.h>

/* out[z][m][n] = alpha * sum_k a[z][m][k] * (trans_b ? b[z][n][k] : b[z][k][n]) + bias[n] */
void ref_matmul (const float *a, const float *b, const float *bias, int batch, int M, int N,
                 int K, gboolean trans_b, double alpha, double *out);
void ref_conv2d (const float *x, const float *w, const float *bias, int B, int C, int H, int W,
                 int O, int KH, int KW, int stride, int pad, double *out);
/* pad zeros above and left, pad_end below and right */
void ref_conv2d_asym (const float *x, const float *w, const float *bias, int B, int C, int H, int W,
                      int O, int KH, int KW, int stride, int pad, int pad_end, double *out);
void ref_group_norm (const float *x, const float *gamma, const float *beta, int B, int C, int HW,
                     int G, double eps, gboolean silu, double *out);
void ref_layer_norm (const float *x, const float *gamma, const float *beta, int rows, int N,
                     double eps, double *out);
void ref_softmax (const float *x, int rows, int N, double scale, double *out);
/* q [B, Lq, H*D], k/v [B, Lk, H*D], explicit score matrix per head */
void ref_attention (const float *q, const float *k, const float *v, int B, int Lq, int Lk, int H,
                    int D, gboolean causal, double *out);
/* The attention probabilities softmax(q k^T / sqrt(D)) averaged over the H
 * heads: out [B, Lq, Lk]. */
void ref_attention_probs (const float *q, const float *k, int B, int Lq, int Lk, int H, int D, double *out);
double ref_silu (double x);
double ref_gelu (double x);
double ref_quick_gelu (double x);
void ref_timestep_embedding (const float *t, int B, int dim, gboolean flip, double shift,
                             double *out);
