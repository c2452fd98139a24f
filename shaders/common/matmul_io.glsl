// matmul_io.glsl: what the fast matmul kernels (matmul_tiled.comp,
// matmul_coopmat.comp) share around their GEMM core: matmul.comp's
// bindings and push constants, the four-element operand loads, and the
// epilogue.  Included after the core; the includer has declared the
// booleans A_KM (A stored K x M, else M x K), B_KN (B stored K x N, else
// N x K), GEGLU and LN (A's rows go through LayerNorm: gamma, beta and
// ln_eps, A stored M x K; the includer calls matmul_ln_stats first), and
// defines GEGLU_GROUP: with GEGLU, C[m, n] = value *
// GELU(gate), value column n and gate column n + N of B (N x K with 2N
// rows), and each group of GEGLU_GROUP block columns holds GEGLU_GROUP / 2
// outputs' values then their gates.
//
// push:     N, K, leading dimensions, batch strides and A's offset are
//           multiples of 4, as is M when A_KM (the host checks)
// math:     fp32 accumulation; the epilogue scales by alpha, adds the bias
//           (per column, or per row) and the residual, and stores.  The
//           fused LayerNorm's statistics are two-pass fp32 over each row,
//           computed by every workgroup for its rows.
// GroupNorm (p.gn_groups != 0, A stored K x M: a feature map [C, HW] whose
//           channels are K): A's values are normalized as they load with
//           their channel group's (mean, var) from gn_stats (gathered by the
//           map's producer, conv2d_io.glsl), gamma, beta and ln_eps.
#include "packed.glsl"

#ifdef A_F16
layout (std430, binding = 0) readonly buffer BufA { uvec2 a4[]; };
#define LOAD_A(i) se_unpack4 (a4[i])
#else
layout (std430, binding = 0) readonly buffer BufA { vec4 a4[]; };
#define LOAD_A(i) a4[i]
#endif
#ifdef B_F16
layout (std430, binding = 1) readonly buffer BufB { uvec2 b4[]; };
#define LOAD_B(i) se_unpack4 (b4[i])
#else
layout (std430, binding = 1) readonly buffer BufB { vec4 b4[]; };
#define LOAD_B(i) b4[i]
#endif
layout (std430, binding = 2) readonly buffer BufBias { float bias[]; };
layout (std430, binding = 3) readonly buffer BufR { ACT res[]; };
layout (std430, binding = 4) writeonly buffer BufC { ACT c[]; };
layout (std430, binding = 5) readonly buffer BufGamma { vec4 gamma4[]; };
layout (std430, binding = 6) readonly buffer BufBeta { vec4 beta4[]; };
layout (std430, binding = 7) readonly buffer BufGnStats { float gn_stats[]; };

layout (push_constant) uniform Push {
  uint M, N, K;
  uint lda, ldb, ldc;
  uint stride_a, stride_b, stride_c;
  uint trans_a, trans_b, bias_mode;
  float alpha;
  uint off_a, bias_off, bias_stride, residual;
  float ln_eps;
  uint gn_groups;
} p;

// the statistics live in the core's extra shared floats (the includer sets
// CORE_EXTRA_FLOATS to 2 BM with LN)
#define LN_MEAN(r) CORE_EXTRA (r)
#define LN_RSTD(r) CORE_EXTRA (BM + (r))

// The LayerNorm statistics of the block's rows m0 .. m0 + BM - 1 of A[z]
// (with LN), a thread per row; a barrier follows before any fetch_a.
void matmul_ln_stats (uint z, uint m0)
{
  if (!LN)
    return;
  for (uint r = gl_LocalInvocationIndex; r < BM; r += gl_WorkGroupSize.x * gl_WorkGroupSize.y) {
    uint m = min (m0 + r, p.M - 1), row = (p.off_a + z * p.stride_a + m * p.lda) / 4;
    vec4 s = vec4 (0.0);
    for (uint k = 0; k < p.K / 4; k++)
      s += LOAD_A (row + k);
    float mean = (s.x + s.y + s.z + s.w) / float (p.K);
    vec4 q = vec4 (0.0);
    for (uint k = 0; k < p.K / 4; k++) {
      vec4 d = LOAD_A (row + k) - mean;
      q += d * d;
    }
    LN_MEAN (r) = mean;
    LN_RSTD (r) = inversesqrt ((q.x + q.y + q.z + q.w) / float (p.K) + p.ln_eps);
  }
  barrier ();
}

vec4 fetch_a (uint z, uint m, uint k)
{
  if (m >= p.M || k >= p.K)
    return vec4 (0.0);
  uint e = p.off_a + z * p.stride_a + (A_KM ? k * p.lda + m : m * p.lda + k);
  vec4 a = LOAD_A (e / 4);
  if (LN)
    a = (a - LN_MEAN (m % BM)) * LN_RSTD (m % BM) * gamma4[k / 4] + beta4[k / 4];
  if (p.gn_groups != 0) {
    uint s = 2 * (z * p.gn_groups + k / (p.K / p.gn_groups));
    float na = gamma4[k / 4][k % 4] * inversesqrt (gn_stats[s + 1] + p.ln_eps);
    a = a * na + (beta4[k / 4][k % 4] - gn_stats[s] * na);
  }
  return a;
}

vec4 fetch_b (uint z, uint k, uint n)
{
  // GEGLU: block column n is B row o (value) or N + o (gate)
  uint half_group = GEGLU_GROUP / 2, l = n % GEGLU_GROUP;
  uint o = GEGLU ? n / GEGLU_GROUP * half_group + l % half_group : n;
  if (o >= p.N || k >= p.K)
    return vec4 (0.0);
  uint row = GEGLU && l >= half_group ? p.N + o : o;
  uint e = z * p.stride_b + (B_KN ? k * p.ldb + row : row * p.ldb + k);
  return LOAD_B (e / 4);
}

float matmul_epilogue (uint z, uint m, uint n, float v)
{
  v *= p.alpha;
  uint bb = p.bias_off + z * p.bias_stride;
  if (p.bias_mode == 1)
    v += bias[bb + n];
  else if (p.bias_mode == 2)
    v += bias[bb + m];
  return v;
}

// Stores C[z][m][n] from its accumulated value (and, with GEGLU, its gate's).
void matmul_store (uint z, uint m, uint n, float value, float gate)
{
  if (m >= p.M || n >= p.N)
    return;
  float v = matmul_epilogue (z, m, n, value);
  if (GEGLU)
    v *= se_gelu (matmul_epilogue (z, m, p.N + n, gate));
  uint o = z * p.stride_c + m * p.ldc + n;
  if (p.residual != 0)
    v += float (res[o]);
  c[o] = ACT (v);
}
