#version 450
// matmul_coopmat.comp: C[z] = alpha * op(A[z]) op(B[z]) + bias + residual on
// cooperative matrices (gemm_coopmat.glsl; coopmat.glsl says which three
// ways it is compiled).  Bindings, push constants, loads and epilogue:
// matmul_io.glsl.
//
// spec:     0-5 the block shape (gemm_coopmat.glsl); 6 A_KM, 7 B_KN,
//           8 GEGLU (matmul_io.glsl): each pair of a warp's accumulator
//           tiles holds 16 outputs' values then their gates; 9 LN
#extension GL_GOOGLE_include_directive : require
#ifdef C_F16
#define ACT_F16
#endif
#include "activations.glsl"
#include "common.glsl"

layout (constant_id = 6) const bool A_KM = false;
layout (constant_id = 7) const bool B_KN = false;
layout (constant_id = 8) const bool GEGLU = false;
layout (constant_id = 9) const bool LN = false;
#define A_ALONG_K (!A_KM)
#define B_ALONG_K (!B_KN)
#define GEGLU_PAIRS GEGLU
#define GEGLU_GROUP 32
#define CORE_EXTRA_FLOATS (LN ? 2 * BM : 0)   // matmul_io.glsl's LayerNorm statistics

#include "gemm_coopmat.glsl"
#include "matmul_io.glsl"

void emit (uint z, uint m, uint n, float value, float gate)
{
  matmul_store (z, m, GEGLU ? n / 32 * 16 + n % 16 : n, value, gate);
}

void main ()
{
  matmul_ln_stats (gl_WorkGroupID.z, gl_WorkGroupID.y * BM);
  gemm_coopmat (gl_WorkGroupID.z, gl_WorkGroupID.y * BM, gl_WorkGroupID.x * BN, p.K);
}
