#version 450
// conv2d_coopmat.comp: 2-D convolution as an implicit GEMM on cooperative
// matrices (gemm_coopmat.glsl).  Bindings, push constants, loads and
// epilogue: conv2d_io.glsl.
//
// spec:     0-5 the block shape (gemm_coopmat.glsl)
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

#define A_ALONG_K true
#define B_ALONG_K false
#define GEGLU_PAIRS false

#include "gemm_coopmat.glsl"
#define CONV_LAST Cs[0]
#include "conv2d_io.glsl"

void emit (uint z, uint m, uint n, float value, float gate)
{
  conv_store (z, m, n, value);
}

void main ()
{
  uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
  gemm_coopmat (z, m0, n0, p.cin * p.kh * p.kw);
  conv_stats (z, m0, n0);
}
