#version 450
// matmul_tiled.comp: C[z] = alpha * op(A[z]) op(B[z]) + bias + residual, the
// tiled GEMM for GPUs (gemm_tiled.glsl).  Bindings and push constants are
// matmul.comp's; the layouts are specialization constants here.
//
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN; 4 BK (gemm_tiled.glsl);
//           5 A_KM: A stored K x M, else M x K; 6 B_KN: B stored K x N, else
//           N x K; 7 GEGLU: C[m, n] = value * GELU(gate), value column n
//           and gate column n + N of B (B N x K with 2N rows): a
//           workgroup's BN tile columns are BN / 2 outputs' values then
//           their gates, so each thread holds both halves of its outputs
// push:     N, K, leading dimensions, batch strides and A's offset are
//           multiples of 4, as is M when A_KM (the host checks)
// math:     fp32 accumulation; the epilogue scales by alpha, adds the bias
//           (per column, or per row) and the residual, and stores.
#extension GL_GOOGLE_include_directive : require
#ifdef C_F16
#define ACT_F16
#endif
#include "activations.glsl"
#include "packed.glsl"
#include "common.glsl"

layout (constant_id = 5) const bool A_KM = false;
layout (constant_id = 6) const bool B_KN = false;
layout (constant_id = 7) const bool GEGLU = false;

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

layout (push_constant) uniform Push {
  uint M, N, K;
  uint lda, ldb, ldc;
  uint stride_a, stride_b, stride_c;
  uint trans_a, trans_b, bias_mode;
  float alpha;
  uint off_a, bias_off, bias_stride, residual;
} p;

#define A_ALONG_K (!A_KM)
#define B_ALONG_K (!B_KN)

#include "gemm_tiled.glsl"

vec4 fetch_a (uint z, uint m, uint k)
{
  if (m >= p.M || k >= p.K)
    return vec4 (0.0);
  uint e = p.off_a + z * p.stride_a + (A_KM ? k * p.lda + m : m * p.lda + k);
  return LOAD_A (e / 4);
}

vec4 fetch_b (uint z, uint k, uint n)
{
  // GEGLU: tile column l of workgroup t is B row o (value) or N + o (gate)
  uint half_bn = BN / 2, l = n % BN;
  uint o = GEGLU ? n / BN * half_bn + l % half_bn : n;
  if (o >= p.N || k >= p.K)
    return vec4 (0.0);
  uint row = GEGLU && l >= half_bn ? p.N + o : o;
  uint e = z * p.stride_b + (B_KN ? k * p.ldb + row : row * p.ldb + k);
  return LOAD_B (e / 4);
}

float epilogue (uint z, uint m, uint n, float v)
{
  v *= p.alpha;
  uint bb = p.bias_off + z * p.bias_stride;
  if (p.bias_mode == 1)
    v += bias[bb + n];
  else if (p.bias_mode == 2)
    v += bias[bb + m];
  return v;
}

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * BM;
  gemm_tiled (z, m0, gl_WorkGroupID.x * BN, p.K);

  uint cols = GEGLU ? TN / 2 : TN;
  uint n0 = gl_WorkGroupID.x * (GEGLU ? BN / 2 : BN);
  for (uint i = 0; i < TM; i++) {
    uint gm = m0 + ty + i * WY;
    if (gm >= p.M)
      continue;
    for (uint j = 0; j < cols; j++) {
      uint gn = n0 + tx + j * WX;
      if (gn >= p.N)
        continue;
      float v = epilogue (z, gm, gn, acc[i * TN + j]);
      if (GEGLU)
        v *= se_gelu (epilogue (z, gm, p.N + gn, acc[i * TN + j + cols]));
      uint o = z * p.stride_c + gm * p.ldc + gn;
      if (p.residual != 0)
        v += float (res[o]);
      c[o] = ACT (v);
    }
  }
}
