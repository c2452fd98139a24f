#version 450
// geglu.comp: GEGLU on [rows, 2N] -> [rows, N].
//
// bindings: 0 x (projection output: value half then gate half), 1 out
// push:     total (rows * N), N
// math:     out[r, j] = x[r, j] * GELU(x[r, N + j]) (erf GELU), as diffusers'
//           GEGLU splits proj(x) into (hidden, gate) with chunk(2).
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufX { ACT x[]; };
layout (std430, binding = 1) writeonly buffer BufO { ACT outp[]; };

layout (push_constant) uniform Push {
  uint total, N;
} p;

void main ()
{
  uint i = linear_invocation ();
  if (i >= p.total)
    return;
  uint r = i / p.N, j = i % p.N;
  outp[i] = ACT (float (x[r * 2 * p.N + j]) * se_gelu (float (x[r * 2 * p.N + p.N + j])));
}
