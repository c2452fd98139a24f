#version 450
// softmax.comp: softmax over the last dimension of [rows, N], of scale * x.
//
// bindings: 0 x, 1 out
// push:     rows, N, scale
// math:     one workgroup per row (2-D grid): m = max, s = sum exp(v - m),
//           out = exp(v - m) / s with v = scale * x; fp32.
#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 128) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufX { float x[]; };
layout (std430, binding = 1) writeonly buffer BufO { float outp[]; };

layout (push_constant) uniform Push {
  uint rows, N;
  float scale;
} p;

shared float partial[128];

void main ()
{
  uint row = linear_group ();
  if (row >= p.rows)
    return;
  uint base = row * p.N;
  uint t = gl_LocalInvocationID.x;

  float m = -3.402823466e38;
  for (uint i = t; i < p.N; i += 128)
    m = max (m, p.scale * x[base + i]);
  partial[t] = m;
  barrier ();
  for (uint s = 64; s > 0; s >>= 1) {
    if (t < s)
      partial[t] = max (partial[t], partial[t + s]);
    barrier ();
  }
  m = partial[0];
  barrier ();

  float sum = 0.0;
  for (uint i = t; i < p.N; i += 128)
    sum += exp (p.scale * x[base + i] - m);
  partial[t] = sum;
  barrier ();
  for (uint s = 64; s > 0; s >>= 1) {
    if (t < s)
      partial[t] += partial[t + s];
    barrier ();
  }
  float inv = 1.0 / partial[0];
  for (uint i = t; i < p.N; i += 128)
    outp[base + i] = exp (p.scale * x[base + i] - m) * inv;
}
