#version 450
// conv2d.comp: 2-D convolution as an implicit GEMM (no im2col buffer): the
// reference convolution (see SeKernels in gpu/device.h).
//
// bindings: 0 input [B, Cin, H, W], 1 weight [Cout_all, Cin_all, KH, KW] of
//           which a slice is used (output channels from cout_off, input
//           channels from cin_off; w_c and w_ky step input channels and
//           kernel rows, so 3x3 kernels packed as [.., 3, 4] read the same),
//           2 bias (bias_off + o, plus bias_stride per batch element; read
//           when bias_mode is 1), 3 residual (like the output, read when
//           residual is 1; may be the output itself), 4 output
//           [B, Cout, OH, OW]
// spec:     0,1 workgroup size x,y; 2 TM, 3 TN outputs per thread; 4 BK
// push:     shapes, stride and zero padding
// math:     out[b,o,y,x] = bias[o] + sum_{c,ky,kx} w[o,c,ky,kx] *
//           in[b, c, y*stride - pad + ky, x*stride - pad + kx] (0 outside);
//           GEMM rows are output channels, columns are output pixels of batch
//           element z, K runs over (c, ky, kx); fp32 accumulation.  The slice
//           and the residual let a layer too wide for one binding run in
//           channel parts: out_j = sum_i conv(in_i, w[j, i]).
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x_id = 0, local_size_y_id = 1) in;
layout (constant_id = 2) const uint TM = 4;
layout (constant_id = 3) const uint TN = 4;
layout (constant_id = 4) const uint BK = 16;

layout (std430, binding = 0) readonly buffer BufIn { ACT inp[]; };
// The W_F16 variant reads fp16 weights packed two per uint.
#ifdef W_F16
layout (std430, binding = 1) readonly buffer BufW { uint w[]; };
float load_w (uint i) { return unpackHalf2x16 (w[i >> 1])[i & 1]; }
#else
layout (std430, binding = 1) readonly buffer BufW { float w[]; };
float load_w (uint i) { return w[i]; }
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

const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint BM = WY * TM;
const uint BN = WX * TN;

shared float As[BK * BM];   // weights  [k][o]
shared float Bs[BK * BN];   // patches  [k][pixel]

void main ()
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint tid = ty * WX + tx;
  uint threads = WX * WY;
  uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
  uint z = gl_WorkGroupID.z;
  uint K = p.cin * p.kh * p.kw;
  uint ksize = p.kh * p.kw;
  uint P = p.oh * p.ow;
  uint in_base = z * p.cin * p.h * p.w;

  float acc[TM * TN];
  for (uint i = 0; i < TM * TN; i++)
    acc[i] = 0.0;

  for (uint k0 = 0; k0 < K; k0 += BK) {
    for (uint e = tid; e < BM * BK; e += threads) {
      uint mm = e / BK, kk = e % BK;
      uint gm = m0 + mm, gk = k0 + kk;
      uint ci = gk / ksize, r = gk % ksize;
      uint wi = p.w_off + gm * p.w_row + ci * p.w_c + (r / p.kw) * p.w_ky + r % p.kw;
      As[kk * BM + mm] = (gm < p.cout && gk < K) ? load_w (wi) : 0.0;
    }
    for (uint e = tid; e < BN * BK; e += threads) {
      uint kk = e / BN, nn = e % BN;
      uint gn = n0 + nn, gk = k0 + kk;
      float v = 0.0;
      if (gn < P && gk < K) {
        uint ci = gk / ksize, r = gk % ksize;
        uint ky = r / p.kw, kx = r % p.kw;
        int iy = int ((gn / p.ow) * p.stride + ky) - int (p.pad);
        int ix = int ((gn % p.ow) * p.stride + kx) - int (p.pad);
        if (iy >= 0 && iy < int (p.h) && ix >= 0 && ix < int (p.w))
          v = float (inp[in_base + (ci * p.h + uint (iy)) * p.w + uint (ix)]);
      }
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
