#version 450
// conv2d_tiled.comp: 2-D convolution as an implicit GEMM, the tiled kernel
// for GPUs (gemm_tiled.glsl).  Bindings, push constants and math are
// conv2d.comp's: rows are output channels, columns output pixels of batch
// element z, K runs over (c, ky, kx).
//
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN; 4 BK (gemm_tiled.glsl)
// layout:   the weight unpacked ([.., KH, KW], so a row's K is contiguous)
//           with its row length, offset and K multiples of 4 (the host
//           checks): weights load four at a time along K, patches gather
//           four neighbouring output pixels.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"
#include "packed.glsl"

layout (std430, binding = 0) readonly buffer BufIn { ACT inp[]; };
#ifdef W_F16
layout (std430, binding = 1) readonly buffer BufW { uvec2 w4[]; };
#define LOAD_W(i) se_unpack4 (w4[i])
#else
layout (std430, binding = 1) readonly buffer BufW { vec4 w4[]; };
#define LOAD_W(i) w4[i]
#endif
layout (std430, binding = 2) readonly buffer BufBias { float bias[]; };
layout (std430, binding = 3) readonly buffer BufRes { ACT res[]; };
layout (std430, binding = 4) writeonly buffer BufOut { ACT outp[]; };

layout (push_constant) uniform Push {
  uint cin, h, w, cout, oh, ow;
  uint kh, kw, stride, pad;
  uint bias_mode, bias_off, bias_stride;
  uint w_row, w_off, w_c, w_ky, residual;
} p;

#define A_ALONG_K true
#define B_ALONG_K false

#include "gemm_tiled.glsl"

vec4 fetch_a (uint z, uint m, uint k)
{
  if (m >= p.cout || k >= p.cin * p.kh * p.kw)
    return vec4 (0.0);
  return LOAD_W ((p.w_off + m * p.w_row + k) / 4);
}

vec4 fetch_b (uint z, uint k, uint n)
{
  vec4 v = vec4 (0.0);
  uint ksize = p.kh * p.kw;
  if (k >= p.cin * ksize)
    return v;
  uint ci = k / ksize, r = k % ksize;
  uint ky = r / p.kw, kx = r % p.kw;
  uint base = (z * p.cin + ci) * p.h;
  for (uint c = 0; c < 4; c++) {
    uint gn = n + c;
    if (gn >= p.oh * p.ow)
      break;
    int iy = int ((gn / p.ow) * p.stride + ky) - int (p.pad);
    int ix = int ((gn % p.ow) * p.stride + kx) - int (p.pad);
    if (iy >= 0 && iy < int (p.h) && ix >= 0 && ix < int (p.w))
      v[c] = float (inp[(base + uint (iy)) * p.w + uint (ix)]);
  }
  return v;
}

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint z = gl_WorkGroupID.z, m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
  uint P = p.oh * p.ow;
  gemm_tiled (z, m0, n0, p.cin * p.kh * p.kw);

  for (uint i = 0; i < TM; i++) {
    uint gm = m0 + ty + i * WY;
    if (gm >= p.cout)
      continue;
    for (uint j = 0; j < TN; j++) {
      uint gn = n0 + tx + j * WX;
      if (gn >= P)
        continue;
      float v = acc[i * TN + j];
      if (p.bias_mode != 0)
        v += bias[p.bias_off + z * p.bias_stride + gm];
      uint o = (z * p.cout + gm) * P + gn;
      if (p.residual != 0)
        v += float (res[o]);
      outp[o] = ACT (v);
    }
  }
}
