#version 450
// concat.comp: two tensors joined along dimension 1 (channels), in one pass.
//
// bindings: 0 a [n0, c1, inner], 1 b [n0, c2, inner], 2 out [n0, c1 + c2, inner]
// push:     n0, c1, c2, inner
// math:     out[i0, c, j] = c < c1 ? a[i0, c, j] : b[i0, c - c1, j]
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufA { ACT a[]; };
layout (std430, binding = 1) readonly buffer BufB { ACT b[]; };
layout (std430, binding = 2) writeonly buffer BufO { ACT o[]; };

layout (push_constant) uniform Push {
  uint n0, c1, c2, inner;
} p;

void main ()
{
  uint c = p.c1 + p.c2;
  uint i = linear_invocation ();
  if (i >= p.n0 * c * p.inner)
    return;
  uint j = i % p.inner, r = i / p.inner;
  uint ch = r % c, i0 = r / c;
  o[i] = ch < p.c1 ? a[(i0 * p.c1 + ch) * p.inner + j] : b[(i0 * p.c2 + ch - p.c1) * p.inner + j];
}
