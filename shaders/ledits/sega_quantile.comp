#version 450
// sega_quantile.comp: SEGA's threshold per (candidate, concept, latent
// channel): the q-quantile of |scale (e_concept - e_uncond)| over the
// channel's positions, exactly as torch.quantile takes it (the order
// statistics q_lo and q_lo + 1, lerped by q_w from the nearer end).  One
// workgroup selects them by radix over the float bits (non-negative floats
// order as their bits do): four passes of 8-bit digits counted in shared
// memory, then the next statistic as a count and a minimum.
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

shared uint hist[256];
shared uint s_prefix, s_rank, s_le, s_above;

uint guidance_bits (uint base_u, uint base_c, float scale, uint q)
{
  return floatBitsToUint (abs (scale * (float (eps[base_c + q]) - float (eps[base_u + q]))));
}

void main ()
{
  uint ch = gl_WorkGroupID.x, j = gl_WorkGroupID.y, c = gl_WorkGroupID.z, tid = gl_LocalInvocationID.x;
  uint out_at = (c * p.C + j) * p.L + ch;
  float scale = sp.concept[j].scale;
  if (scale == 0.0) {                 // no guidance from this concept this step
    if (tid == 0)
      thr[out_at] = 0.0;
    return;
  }
  uint n = p.L * p.P;
  uint base_u = c * p.per * n + ch * p.P, base_c = base_u + (2 + j) * n;
  if (tid == 0) {
    s_prefix = 0u;
    s_rank = sp.concept[j].q_lo;
  }
  for (int pass = 0; pass < 4; pass++) {
    uint shift = uint (24 - 8 * pass);
    uint high = pass == 0 ? 0u : ~0u << (shift + 8u);   // the digits chosen so far
    hist[tid] = 0u;
    barrier ();
    uint prefix = s_prefix;
    for (uint q = tid; q < p.P; q += 256u) {
      uint b = guidance_bits (base_u, base_c, scale, q);
      if ((b & high) == prefix)
        atomicAdd (hist[(b >> shift) & 255u], 1u);
    }
    barrier ();
    if (tid == 0) {
      uint rank = s_rank, below = 0u, d = 0u;
      while (d < 255u && below + hist[d] <= rank) {
        below += hist[d];
        d++;
      }
      s_prefix = prefix | (d << shift);
      s_rank = rank - below;
    }
    barrier ();
  }
  // lo's value; the next statistic is the same value when more than
  // q_lo + 1 values are at most it, else the smallest value above it
  uint lo_bits = s_prefix;
  if (tid == 0) {
    s_le = 0u;
    s_above = 0xffffffffu;
  }
  barrier ();
  uint le = 0u, above = 0xffffffffu;
  for (uint q = tid; q < p.P; q += 256u) {
    uint b = guidance_bits (base_u, base_c, scale, q);
    if (b <= lo_bits)
      le++;
    else
      above = min (above, b);
  }
  atomicAdd (s_le, le);
  atomicMin (s_above, above);
  barrier ();
  if (tid == 0) {
    uint lo = sp.concept[j].q_lo;
    float v_lo = uintBitsToFloat (lo_bits);
    float v_hi = lo + 1u >= p.P || s_le > lo + 1u ? v_lo : uintBitsToFloat (s_above);
    float w = sp.concept[j].q_w;
    thr[out_at] = w < 0.5 ? v_lo + w * (v_hi - v_lo) : v_hi - (1.0 - w) * (v_hi - v_lo);
  }
}
