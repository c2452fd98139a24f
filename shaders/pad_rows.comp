#version 450
// pad_rows.comp: copies rows of n_in elements into rows of n_out >= n_in,
// zero-filled: how 3x3 kernels [O, C, 3, 3] become the packed
// [O, C, 3, 4] layout conv3x3_subgroup.comp reads one vec4 per kernel row.
//
// bindings: 0 source words, 1 destination words (fp32 bit patterns, or two
//           packed halves per word with F16)
// push:     rows, n_in, n_out (elements; with F16, rows * n_out is even)
// math:     dst[r, c] = c < n_in ? src[r, c] : 0; one invocation per
//           destination word.
#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 64) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufS { uint src[]; };
layout (std430, binding = 1) writeonly buffer BufD { uint dst[]; };

layout (push_constant) uniform Push {
  uint rows, n_in, n_out;
} p;

#ifdef F16
uint element (uint e)
{
  uint r = e / p.n_out, c = e % p.n_out;
  if (c >= p.n_in)
    return 0u;
  uint s = r * p.n_in + c;
  return (src[s >> 1] >> (16u * (s & 1u))) & 0xffffu;
}
#endif

void main ()
{
  uint i = linear_invocation ();
#ifdef F16
  if (i >= p.rows * p.n_out / 2)
    return;
  dst[i] = element (2 * i) | (element (2 * i + 1) << 16);
#else
  if (i >= p.rows * p.n_out)
    return;
  uint r = i / p.n_out, c = i % p.n_out;
  dst[i] = c < p.n_in ? src[r * p.n_in + c] : 0u;
#endif
}
