#version 450
// layernorm.comp: LayerNorm over the last dimension of [rows, N].
//
// bindings: 0 x, 1 gamma [N], 2 beta [N], 3 out
// push:     rows, N, eps
// math:     one workgroup per row (2-D grid); two-pass mean and variance in
//           fp32; out = (x - mean) / sqrt(var + eps) * gamma + beta.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 128) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufX { ACT x[]; };
layout (std430, binding = 1) readonly buffer BufG { float gamma[]; };
layout (std430, binding = 2) readonly buffer BufB { float beta[]; };
layout (std430, binding = 3) writeonly buffer BufO { ACT outp[]; };

layout (push_constant) uniform Push {
  uint rows, N;
  float eps;
} p;

shared float partial[128];

float reduce_sum (float v)
{
  uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier ();
  for (uint s = 64; s > 0; s >>= 1) {
    if (t < s)
      partial[t] += partial[t + s];
    barrier ();
  }
  float total = partial[0];
  barrier ();
  return total;
}

void main ()
{
  uint row = linear_group ();
  if (row >= p.rows)
    return;
  uint base = row * p.N;
  uint t = gl_LocalInvocationID.x;
  float s = 0.0;
  for (uint i = t; i < p.N; i += 128)
    s += float (x[base + i]);
  float mean = reduce_sum (s) / float (p.N);
  float q = 0.0;
  for (uint i = t; i < p.N; i += 128) {
    float d = float (x[base + i]) - mean;
    q += d * d;
  }
  float inv = inversesqrt (reduce_sum (q) / float (p.N) + p.eps);
  for (uint i = t; i < p.N; i += 128)
    outp[base + i] = ACT ((float (x[base + i]) - mean) * inv * gamma[i] + beta[i]);
}
