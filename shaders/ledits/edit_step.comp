#version 450
// edit_step.comp: one LEDITS edit step per latent value of candidates
// [c0, c0 + count): classifier-free guidance on the target, SEGA's
// thresholded concept guidance with warm-up weights and momentum, then the
// DDPM step with the inversion's noise map (the host's double-precision
// se_sega_step and update in plug-in/engine/ledits/ are the reference).
//
// bindings: 0 eps [count * per][n] (uncond, target, concepts), 1 step params,
//           2 thr [count][C][L] (sega_quantile), 3 latents [K][n] fp32 (in, out),
//           4 momentum [K][n] fp32 (in, out), 5 noise maps [K][z_stride] fp32,
//           6 report (uint words): [0] 1 when eps held infinity or NaN, [1] such a
//           value's bits, then from 4 the estimates [K][n] and the latents [K][n]
// push:     n, P positions per channel, per, C, c0, count, K, z_stride
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 2) readonly buffer Thr { float thr[]; };
layout (std430, binding = 3) buffer Lat { float lat[]; };
layout (std430, binding = 4) buffer Mom { float mom[]; };
layout (std430, binding = 5) readonly buffer Zs { float zs[]; };
layout (std430, binding = 6) buffer Report { uint report[]; };

layout (push_constant) uniform Push {
  uint n, P, per, C, c0, count, K, z_stride;
} p;

#include "step_eps.glsl"

void main ()
{
  uint q = linear_invocation ();
  if (q >= p.count * p.n)
    return;
  uint c = q / p.n, i = q % p.n, k = p.c0 + c, at = k * p.n + i;
  uint base = c * p.per * p.n + i, L = p.n / p.P, ch = i / p.P;
  float eu = load_eps (base), et = load_eps (base + p.n);
  float e = sp.cfg * (et - eu);
  float edit = sp.mom_scale * mom[at];
  for (uint j = 0u; j < p.C; j++) {
    float ec = load_eps (base + (2u + j) * p.n);
    float scale = sp.concept[j].scale;
    if (scale == 0.0)
      continue;
    float g = scale * (ec - eu);
    if (abs (g) < thr[(c * p.C + j) * L + ch])
      g = 0.0;
    e += sp.concept[j].direct * g;
    edit += sp.concept[j].edit_weight * g;
  }
  if (p.C > 0u) {
    mom[at] = sp.mom_beta * mom[at] + (1.0 - sp.mom_beta) * edit;
    e += sp.add_edit * edit;
  }
  e += eu;
  float xt = lat[at];
  float x0 = sp.x0_x * xt - sp.x0_e * e;
  float x = sp.mu_x * xt + sp.mu_x0 * x0 + sp.mu_e * e + sp.mu_z * zs[k * p.z_stride + sp.z_offset + i];
  lat[at] = x;
  report[4u + at] = floatBitsToUint (x0);
  report[4u + p.K * p.n + at] = floatBitsToUint (x);
}
