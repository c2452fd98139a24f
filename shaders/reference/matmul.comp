#version 450
// matmul.comp: C[z] = alpha * op(A[z]) (M x K) * op(B[z]) + bias + residual,
// batched over z: the reference GEMM (see SeKernels in gpu/device.h).
//
// bindings: 0 A (M x K row-major with leading dimension lda, or K x M when
//           trans_a: a [C, HW] feature map read as [HW, C] tokens),
//           1 B (K x N row-major with ldb, or N x K when trans_b: PyTorch's
//           Linear weight layout), 2 bias ([N] per column when bias_mode is
//           1, [M] per row when 2, unread when 0; from bias_off, plus
//           bias_stride per batch), 3 residual (like C, read when residual
//           is 1; may be C itself), 4 C (M x N, ldc)
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN rows/cols per thread; 4 BK
// push:     shapes, leading dimensions and batch strides, A's offset, in
//           elements
// math:     fp32 accumulation; tiles of (WG_Y*TM) x (WG_X*TN) outputs, K in
//           steps of BK staged through shared memory.
#extension GL_GOOGLE_include_directive : require
#ifdef C_F16
#define ACT_F16
#endif
#include "activations.glsl"

layout (local_size_x_id = 0, local_size_y_id = 1) in;
layout (constant_id = 2) const uint TM = 4;
layout (constant_id = 3) const uint TN = 4;
layout (constant_id = 4) const uint BK = 16;

// A_F16 / B_F16 variants read that operand as fp16 weights packed two per
// uint (unpackHalf2x16 needs no optional device feature).
#ifdef A_F16
layout (std430, binding = 0) readonly buffer BufA { uint a[]; };
float load_a (uint i) { return unpackHalf2x16 (a[i >> 1])[i & 1]; }
#else
layout (std430, binding = 0) readonly buffer BufA { float a[]; };
float load_a (uint i) { return a[i]; }
#endif
#ifdef B_F16
layout (std430, binding = 1) readonly buffer BufB { uint b[]; };
float load_b (uint i) { return unpackHalf2x16 (b[i >> 1])[i & 1]; }
#else
layout (std430, binding = 1) readonly buffer BufB { float b[]; };
float load_b (uint i) { return b[i]; }
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

const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint BM = WY * TM;
const uint BN = WX * TN;

shared float As[BK * BM];   // [k][m]
shared float Bs[BK * BN];   // [k][n]

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint tid = ty * WX + tx;
  uint threads = WX * WY;
  uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
  uint z = gl_WorkGroupID.z;
  uint base_a = p.off_a + z * p.stride_a, base_b = z * p.stride_b;

  float acc[TM * TN];
  for (uint i = 0; i < TM * TN; i++)
    acc[i] = 0.0;

  for (uint k0 = 0; k0 < p.K; k0 += BK) {
    for (uint e = tid; e < BM * BK; e += threads) {
      uint mm, kk;
      if (p.trans_a != 0) { kk = e / BM; mm = e % BM; }
      else                { mm = e / BK; kk = e % BK; }
      uint gm = m0 + mm, gk = k0 + kk;
      float v = 0.0;
      if (gm < p.M && gk < p.K)
        v = p.trans_a != 0 ? load_a (base_a + gk * p.lda + gm) : load_a (base_a + gm * p.lda + gk);
      As[kk * BM + mm] = v;
    }
    for (uint e = tid; e < BN * BK; e += threads) {
      uint nn, kk;
      if (p.trans_b != 0) { nn = e / BK; kk = e % BK; }
      else                { kk = e / BN; nn = e % BN; }
      uint gn = n0 + nn, gk = k0 + kk;
      float v = 0.0;
      if (gn < p.N && gk < p.K)
        v = p.trans_b != 0 ? load_b (base_b + gn * p.ldb + gk) : load_b (base_b + gk * p.ldb + gn);
      Bs[kk * BN + nn] = v;
    }
    barrier ();
    for (uint kk = 0; kk < BK; kk++) {
      float av[TM], bv[TN];
      for (uint i = 0; i < TM; i++)
        av[i] = As[kk * BM + ty + i * WY];
      for (uint j = 0; j < TN; j++)
        bv[j] = Bs[kk * BN + tx + j * WX];
      for (uint i = 0; i < TM; i++)
        for (uint j = 0; j < TN; j++)
          acc[i * TN + j] += av[i] * bv[j];
    }
    barrier ();
  }

  for (uint i = 0; i < TM; i++) {
    uint gm = m0 + ty + i * WY;
    if (gm >= p.M)
      continue;
    for (uint j = 0; j < TN; j++) {
      uint gn = n0 + tx + j * WX;
      if (gn >= p.N)
        continue;
      float v = p.alpha * acc[i * TN + j];
      uint bb = p.bias_off + z * p.bias_stride;
      if (p.bias_mode == 1)
        v += bias[bb + gn];
      else if (p.bias_mode == 2)
        v += bias[bb + gm];
      uint o = z * p.stride_c + gm * p.ldc + gn;
      if (p.residual != 0)
        v += float (res[o]);
      c[o] = ACT (v);
    }
  }
}
