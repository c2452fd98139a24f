#version 450
// pp_masks.comp: LEDITS++' implicit mask of one concept j for one candidate
// k = c0 + c (../shared/reference/ledits_pp/README.md, section 3): with
// MASK_ATTENTION, its attention sums smoothed by diffusers' 3x3 Gaussian
// (reflect-padded) and kept where at least their quantile; with MASK_NOISE,
// |d| summed over the latent channels, d = scale (e_j - e_u), kept where at
// least its quantile; the final mask their product at latent resolution
// (the attention map repeated 4 x 4).  Quantiles as torch.quantile takes
// them (radix_select.glsl).  A concept not guiding this step (no
// MASK_ACTIVE) gets an empty mask.
//
// bindings: 0 eps [count * per][n] (uncond, concepts), 1 step params,
//           2 S [K][C][aq] fp32 (pp_attention_sum.comp), 3 detail [K][C][aq + hw + 2]
//           fp32 out (smoothed sums, channel sums, the attention and noise
//           thresholds), 4 report (uint words; its masks [K][C][hw] from word mask_at)
// push:     lh, lw, channels, per, C, c0, mask_at
// grid:     (C, count)
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 2) readonly buffer Sums { float sums[]; };
layout (std430, binding = 3) coherent buffer Detail { float detail[]; };
layout (std430, binding = 4) buffer Report { uint report[]; };
#include "step_eps.glsl"

layout (push_constant) uniform Push {
  uint lh, lw, channels, per, C, c0, mask_at;
} p;

uint sel_base;
#define SELECT_BITS(q) floatBitsToUint (detail[sel_base + (q)])
#include "radix_select.glsl"

// index i of a row or column of n reflected at its ends: -1 -> 1, n -> n - 2
uint reflect_index (int i, uint n)
{
  if (n == 1u)
    return 0u;
  return i < 0 ? uint (-i) : i >= int (n) ? 2u * n - 2u - uint (i) : uint (i);
}

void main ()
{
  uint j = gl_WorkGroupID.x, c = gl_WorkGroupID.y, k = p.c0 + c, tid = gl_LocalInvocationID.x;
  uint hw = p.lh * p.lw, ah = p.lh / 4u, aw = p.lw / 4u, aq = ah * aw, n = hw * p.channels;
  uint row = k * p.C + j, base = row * (aq + hw + 2u), thr_at = base + aq + hw;
  uint masks = p.mask_at + row * hw;
  float scale = sp.concept[j].scale;
  uint flags = sp.concept[j].flags;
  if ((flags & MASK_ACTIVE) == 0u) {
    for (uint q = tid; q < hw; q += 256u)
      report[masks + q] = floatBitsToUint (0.0);
    if (tid == 0) {
      detail[thr_at] = 0.0;
      detail[thr_at + 1u] = 0.0;
    }
    return;
  }
  float t_attn = 0.0, t_noise = 0.0;
  if ((flags & MASK_ATTENTION) != 0u) {
    // diffusers builds the kernel in float32: exp(-(x - 1)^2) per axis,
    // their products, divided by their sum
    const float e1 = 0.36787944117144233;
    float k1[3] = float[3] (e1, 1.0, e1), g[3][3], gsum = 0.0;
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) {
        g[a][b] = k1[a] * k1[b];
        gsum += g[a][b];
      }
    uint S = row * aq;
    for (uint q = tid; q < aq; q += 256u) {
      int y = int (q / aw), x = int (q % aw);
      float acc = 0.0;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          acc += g[dy + 1][dx + 1] / gsum * sums[S + reflect_index (y + dy, ah) * aw + reflect_index (x + dx, aw)];
      detail[base + q] = acc;
    }
    memoryBarrierBuffer ();
    sel_base = base;
    float v_lo, v_hi;
    radix_select (aq, sp.concept[j].map_q_lo, v_lo, v_hi);
    t_attn = quantile_lerp (v_lo, v_hi, sp.concept[j].map_q_w);
  }
  if ((flags & MASK_NOISE) != 0u) {
    uint bu = c * p.per * n, bc = (c * p.per + 1u + j) * n;
    for (uint q = tid; q < hw; q += 256u) {
      float v = 0.0;
      for (uint ch = 0u; ch < p.channels; ch++) {
        float eu = load_eps (bu + ch * hw + q);
        v += abs ((load_eps (bc + ch * hw + q) - eu) * scale);
      }
      detail[base + aq + q] = v;
    }
    memoryBarrierBuffer ();
    sel_base = base + aq;
    float v_lo, v_hi;
    radix_select (hw, sp.concept[j].q_lo, v_lo, v_hi);
    t_noise = quantile_lerp (v_lo, v_hi, sp.concept[j].q_w);
  }
  for (uint q = tid; q < hw; q += 256u) {
    uint y = q / p.lw, x = q % p.lw;
    bool keep = ((flags & MASK_ATTENTION) == 0u || detail[base + (y / 4u) * aw + x / 4u] >= t_attn) &&
                ((flags & MASK_NOISE) == 0u || detail[base + aq + q] >= t_noise);
    report[masks + q] = floatBitsToUint (keep ? 1.0 : 0.0);
  }
  if (tid == 0) {
    detail[thr_at] = t_attn;
    detail[thr_at + 1u] = t_noise;
  }
}
