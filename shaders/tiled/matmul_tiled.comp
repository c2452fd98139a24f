#version 450
// matmul_tiled.comp: C[z] = alpha * op(A[z]) op(B[z]) + bias + residual, the
// tiled GEMM for GPUs (gemm_tiled.glsl).  Bindings, push constants, loads
// and epilogue: matmul_io.glsl; the layouts are specialization constants.
//
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN; 4 BK (gemm_tiled.glsl);
//           5 A_KM, 6 B_KN, 7 GEGLU (matmul_io.glsl): a workgroup's BN
//           block columns are BN / 2 outputs' values then their gates, so
//           each thread holds both halves of its outputs; 8 LN
#extension GL_GOOGLE_include_directive : require
#ifdef C_F16
#define ACT_F16
#endif
#include "activations.glsl"
#include "common.glsl"

layout (constant_id = 5) const bool A_KM = false;
layout (constant_id = 6) const bool B_KN = false;
layout (constant_id = 7) const bool GEGLU = false;
layout (constant_id = 8) const bool LN = false;
#define A_ALONG_K (!A_KM)
#define B_ALONG_K (!B_KN)
#define GEGLU_GROUP BN
#define CORE_EXTRA_FLOATS (LN ? 2 * BM : 0)   // matmul_io.glsl's LayerNorm statistics

#include "gemm_tiled.glsl"
#include "matmul_io.glsl"

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * BM;
  matmul_ln_stats (z, m0);
  gemm_tiled (z, m0, gl_WorkGroupID.x * BN, p.K);

  uint cols = GEGLU ? TN / 2 : TN;
  uint n0 = gl_WorkGroupID.x * (GEGLU ? BN / 2 : BN);
  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < cols; j++)
      matmul_store (z, m0 + ty + i * WY, n0 + tx + j * WX, acc[i * TN + j], GEGLU ? acc[i * TN + j + cols] : 0.0);
}
