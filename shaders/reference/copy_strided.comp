#version 450
// copy_strided.comp: copies an n0 x n1 x n2 block between strided layouts.
//
// bindings: 0 src, 1 dst
// push:     n0, n1, n2; src offset and strides of dims 0 and 1; same for dst
//           (dim 2 is contiguous in both)
// math:     dst[do + i0*ds0 + i1*ds1 + i2] = src[so + i0*ss0 + i1*ss1 + i2];
//           channel concat is two of these.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufS { ACT src[]; };
layout (std430, binding = 1) writeonly buffer BufD { ACT dst[]; };

layout (push_constant) uniform Push {
  uint n0, n1, n2;
  uint s_off, s_s0, s_s1;
  uint d_off, d_s0, d_s1;
} p;

void main ()
{
  uint i = linear_invocation ();
  if (i >= p.n0 * p.n1 * p.n2)
    return;
  uint i2 = i % p.n2, r = i / p.n2;
  uint i1 = r % p.n1, i0 = r / p.n1;
  dst[p.d_off + i0 * p.d_s0 + i1 * p.d_s1 + i2] = ACT (float (src[p.s_off + i0 * p.s_s0 + i1 * p.s_s1 + i2]));
}
