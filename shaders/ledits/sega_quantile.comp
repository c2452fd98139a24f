#version 450
// sega_quantile.comp: SEGA's threshold per (candidate, concept, latent
// channel): the q-quantile of |scale (e_concept - e_uncond)| over the
// channel's positions, exactly as torch.quantile takes it (the order
// statistics q_lo and q_lo + 1 by radix select, lerped by q_w).
//
// bindings: 0 eps [count * per][L * P] (uncond, target, concepts), 1 step
//           params, 2 thr [count][C][L] fp32 out
// push:     P positions per channel, L channels, per, C concepts
// grid:     (L, C, count)
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 0) readonly buffer Eps { ACT eps[]; };
layout (std430, binding = 2) writeonly buffer Thr { float thr[]; };

layout (push_constant) uniform Push {
  uint P, L, per, C;
} p;

uint base_u, base_c;
float scale;
#define SELECT_BITS(q) floatBitsToUint (abs (scale * (float (eps[base_c + (q)]) - float (eps[base_u + (q)]))))
#include "radix_select.glsl"

void main ()
{
  uint ch = gl_WorkGroupID.x, j = gl_WorkGroupID.y, c = gl_WorkGroupID.z;
  uint out_at = (c * p.C + j) * p.L + ch;
  scale = sp.concept[j].scale;
  if (scale == 0.0) {                 // no guidance from this concept this step
    if (gl_LocalInvocationID.x == 0)
      thr[out_at] = 0.0;
    return;
  }
  uint n = p.L * p.P;
  base_u = c * p.per * n + ch * p.P;
  base_c = base_u + (2 + j) * n;
  float v_lo, v_hi;
  radix_select (p.P, sp.concept[j].q_lo, v_lo, v_hi);
  if (gl_LocalInvocationID.x == 0)
    thr[out_at] = quantile_lerp (v_lo, v_hi, sp.concept[j].q_w);
}
