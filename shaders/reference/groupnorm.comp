#version 450
// groupnorm.comp: GroupNorm over [B, C, HW] with G groups, optional fused SiLU.
//
// bindings: 0 x, 1 gamma [C], 2 beta [C], 3 out (same shape as x)
// push:     C, HW, G, eps, silu
// math:     one workgroup per (group, batch); mean, then variance of the
//           centred values (two passes, fp32), then
//           out = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c], SiLU'd.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufX { ACT x[]; };
layout (std430, binding = 1) readonly buffer BufG { float gamma[]; };
layout (std430, binding = 2) readonly buffer BufB { float beta[]; };
layout (std430, binding = 3) writeonly buffer BufO { ACT outp[]; };

layout (push_constant) uniform Push {
  uint C, HW, G;
  float eps;
  uint silu;
} p;

shared float partial[256];

float reduce_sum (float v)
{
  uint t = gl_LocalInvocationID.x;
  partial[t] = v;
  barrier ();
  for (uint s = 128; s > 0; s >>= 1) {
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
  uint g = gl_WorkGroupID.x, b = gl_WorkGroupID.y;
  uint cpg = p.C / p.G;
  uint n = cpg * p.HW;
  uint base = (b * p.C + g * cpg) * p.HW;
  uint t = gl_LocalInvocationID.x;

  float s = 0.0;
  for (uint i = t; i < n; i += 256)
    s += float (x[base + i]);
  float mean = reduce_sum (s) / float (n);
  float q = 0.0;
  for (uint i = t; i < n; i += 256) {
    float d = float (x[base + i]) - mean;
    q += d * d;
  }
  float inv = inversesqrt (reduce_sum (q) / float (n) + p.eps);
  for (uint i = t; i < n; i += 256) {
    uint c = g * cpg + i / p.HW;
    float v = (float (x[base + i]) - mean) * inv * gamma[c] + beta[c];
    outp[base + i] = ACT (p.silu != 0 ? se_silu (v) : v);
  }
}
