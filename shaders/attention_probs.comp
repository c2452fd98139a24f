#version 450
// attention_probs.comp: the attention probabilities of a multi-head
// attention, averaged over its heads (LEDITS++'s cross-attention maps).
//
// bindings: 0 Q [B, Lq, H*D], 1 K [B, Lk, H*D], 2 P [B, Lq, Lk] (fp32)
// spec:     0 D (head dim)
// push:     lq, lk, heads, scale
// math:     one invocation per (query i, batch b):
//           P[b, i, j] = 1/H sum_h softmax_j(scale * q_ih . k_jh),
//           the softmax's max and sum found in a first pass over the keys
//           (online), the probabilities summed in a second.  fp32.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 64) in;
layout (constant_id = 0) const uint D = 40;

layout (std430, binding = 0) readonly buffer BufQ { ACT q[]; };
layout (std430, binding = 1) readonly buffer BufK { ACT k[]; };
layout (std430, binding = 2) buffer BufP { float probs[]; };

layout (push_constant) uniform Push {
  uint lq, lk, heads;
  float scale;
} p;

float score (uint qbase, uint kbase)
{
  float s = 0.0;
  for (uint d = 0; d < D; d++)
    s += float (q[qbase + d]) * float (k[kbase + d]);
  return p.scale * s;
}

void main ()
{
  uint i = gl_GlobalInvocationID.x, b = gl_WorkGroupID.z;
  if (i >= p.lq)
    return;
  uint C = p.heads * D;
  uint obase = (b * p.lq + i) * p.lk;
  for (uint j = 0; j < p.lk; j++)
    probs[obase + j] = 0.0;
  for (uint h = 0; h < p.heads; h++) {
    uint qbase = (b * p.lq + i) * C + h * D;
    float m = -3.402823466e38, l = 0.0;
    for (uint j = 0; j < p.lk; j++) {
      float s = score (qbase, (b * p.lk + j) * C + h * D);
      float m2 = max (m, s);
      l = l * exp (m - m2) + exp (s - m2);
      m = m2;
    }
    float w = 1.0 / (l * float (p.heads));
    for (uint j = 0; j < p.lk; j++)
      probs[obase + j] += exp (score (qbase, (b * p.lk + j) * C + h * D) - m) * w;
  }
}
