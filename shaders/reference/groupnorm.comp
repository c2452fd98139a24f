#version 450
// groupnorm.comp: GroupNorm over [B, C, HW] with G groups, optional fused SiLU.
//
// bindings: 0 x, 1 gamma [C], 2 beta [C], 3 out (same shape as x); with
//           CONCAT (the groupnorm_concat family) x is two tensors joined
//           along C: 0 x1 [B, C1, HW], 4 x2 [B, C - C1, HW], and 5 cat
//           [B, C, HW] receives the joined tensor too (the UNet's up blocks
//           normalize a skip concatenation that their shortcut also reads)
// push:     C, HW, G, eps, silu, C1
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
#ifdef CONCAT
layout (std430, binding = 4) readonly buffer BufX2 { ACT x2[]; };
layout (std430, binding = 5) writeonly buffer BufCat { ACT cat[]; };
#endif

layout (push_constant) uniform Push {
  uint C, HW, G;
  float eps;
  uint silu;
  uint C1;
} p;

// Element i of batch b's group g (channel g * C / G + i / HW).
float load_x (uint b, uint g, uint i)
{
  uint cpg = p.C / p.G;
#ifdef CONCAT
  uint c = g * cpg + i / p.HW, at = i % p.HW;
  return c < p.C1 ? float (x[(b * p.C1 + c) * p.HW + at])
                  : float (x2[(b * (p.C - p.C1) + c - p.C1) * p.HW + at]);
#else
  return float (x[(b * p.C + g * cpg) * p.HW + i]);
#endif
}

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
    s += load_x (b, g, i);
  float mean = reduce_sum (s) / float (n);
  float q = 0.0;
  for (uint i = t; i < n; i += 256) {
    float d = load_x (b, g, i) - mean;
    q += d * d;
  }
  float inv = inversesqrt (reduce_sum (q) / float (n) + p.eps);
  for (uint i = t; i < n; i += 256) {
    uint c = g * cpg + i / p.HW;
    float xv = load_x (b, g, i);
#ifdef CONCAT
    cat[base + i] = ACT (xv);
#endif
    float v = (xv - mean) * inv * gamma[c] + beta[c];
    outp[base + i] = ACT (p.silu != 0 ? se_silu (v) : v);
  }
}
