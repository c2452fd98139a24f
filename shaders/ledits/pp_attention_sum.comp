#version 450
// pp_attention_sum.comp: LEDITS++' attention sums from one captured
// cross-attention layer: for each candidate k in [c0, c0 + count) and
// concept j, S[k][j][q] (+)= inv_layers * the sum over the concept's prompt
// tokens 1..tokens of the map of the batch's prediction for j (BOS left
// out); the first layer writes, the others add, so S ends as the layers'
// mean (the host's se_pp_attention_sum of se_attn_capture_mean).
//
// bindings: 0 probs [count * per][aq][tokens] fp32 (attention_probs.comp),
//           1 step params, 2 S [K][C][aq] fp32
// push:     aq, tokens, per, C, c0, count, first, inv_layers
#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 0) readonly buffer Probs { float probs[]; };
layout (std430, binding = 2) buffer Sums { float sums[]; };

layout (push_constant) uniform Push {
  uint aq, tokens, per, C, c0, count, first;
  float inv_layers;
} p;

void main ()
{
  uint t = linear_invocation ();
  if (t >= p.count * p.C * p.aq)
    return;
  uint q = t % p.aq, j = t / p.aq % p.C, c = t / (p.aq * p.C);
  uint b = c * p.per + 1u + j, last = min (sp.concept[j].tokens, p.tokens - 1u);
  float v = 0.0;
  for (uint tok = 1u; tok <= last; tok++)
    v += probs[(b * p.aq + q) * p.tokens + tok];
  uint at = ((p.c0 + c) * p.C + j) * p.aq + q;
  sums[at] = (p.first != 0u ? 0.0 : sums[at]) + p.inv_layers * v;
}
