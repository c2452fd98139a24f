// conv2d_io.glsl: what the fast convolution kernels (conv2d_tiled.comp,
// conv2d_coopmat.comp) share around their GEMM core: conv2d.comp's
// bindings, push constants and math as an implicit GEMM (rows are output
// channels, columns output pixels of batch element z, K runs over
// (c, ky, kx)), the four-element loads, and the epilogue.  Included after
// the core.
//
// layout:   the weight unpacked ([.., KH, KW], so a row's K is contiguous)
//           with its row length, offset and K multiples of 4 (the host
//           checks): weights load four at a time along K, patches gather
//           four neighbouring output pixels.
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
  uint up;              // 1: the input is read upsampled 2x (nearest), h x w its stored size
} p;

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
    if (iy >= 0 && iy < int (p.h << p.up) && ix >= 0 && ix < int (p.w << p.up))
      v[c] = float (inp[(base + (uint (iy) >> p.up)) * p.w + (uint (ix) >> p.up)]);
  }
  return v;
}

// Stores output channel m, pixel n of batch element z from its sum.
void conv_store (uint z, uint m, uint n, float v)
{
  uint P = p.oh * p.ow;
  if (m >= p.cout || n >= P)
    return;
  if (p.bias_mode != 0)
    v += bias[p.bias_off + z * p.bias_stride + m];
  uint o = (z * p.cout + m) * P + n;
  if (p.residual != 0)
    v += float (res[o]);
  outp[o] = ACT (v);
}
