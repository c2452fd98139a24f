#version 450
// conv2d_tiled.comp: 2-D convolution as an implicit GEMM, the tiled kernel
// for GPUs (gemm_tiled.glsl).  Bindings, push constants, loads and
// epilogue: conv2d_io.glsl.
//
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN; 4 BK (gemm_tiled.glsl)
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

#define A_ALONG_K true
#define B_ALONG_K false

#include "gemm_tiled.glsl"
#define CONV_LAST As[0]
#include "conv2d_io.glsl"

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
  gemm_tiled (z, m0, n0, p.cin * p.kh * p.kw);
  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < TN; j++)
      conv_store (z, m0 + ty + i * WY, n0 + tx + j * WX, acc[i * TN + j]);
  conv_stats (z, m0, n0);
}
