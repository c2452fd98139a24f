#version 450
// pp_edit_step.comp: one LEDITS++ edit step per latent value of candidates
// [c0, c0 + count): the guidance, each concept's scale (e_j - e_u) kept
// where its mask (pp_masks.comp) is set, then the DPM-Solver step with the
// inversion's noise map (ledits-pp.c's double-precision loop was the
// reference).
//
// bindings: 0 eps [count * per][n] (uncond, concepts), 1 step params,
//           2 latents [K][n] fp32 (in, out), 3 data predictions of the previous
//           step [K][n] fp32 (in, out), 4 noise maps [K][z_stride] fp32,
//           5 report (uint words): [0] 1 when eps held infinity or NaN, [1]
//           such a value's bits, then from 4 the data predictions [K][n], the
//           latents [K][n], the guidance [K][n] and the masks [K][C][hw]
// push:     n, hw, per, C, c0, count, K, z_stride
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 2) buffer Lat { float lat[]; };
layout (std430, binding = 3) buffer Dprev { float dprev[]; };
layout (std430, binding = 4) readonly buffer Zs { float zs[]; };
layout (std430, binding = 5) buffer Report { uint report[]; };
#include "step_eps.glsl"

layout (push_constant) uniform Push {
  uint n, hw, per, C, c0, count, K, z_stride;
} p;

void main ()
{
  uint q = linear_invocation ();
  if (q >= p.count * p.n)
    return;
  uint c = q / p.n, i = q % p.n, k = p.c0 + c, at = k * p.n + i;
  uint base = c * p.per * p.n + i, masks = 4u + 3u * p.K * p.n + k * p.C * p.hw + i % p.hw;
  float eu = load_eps (base), g = 0.0;
  for (uint j = 0u; j < p.C; j++) {
    float ec = load_eps (base + (1u + j) * p.n);
    float scale = sp.concept[j].scale;
    if (scale != 0.0)
      g += (ec - eu) * scale * uintBitsToFloat (report[masks + j * p.hw]);
  }
  float xt = lat[at];
  float x0 = sp.x0_x * xt - sp.x0_e * (eu + g);
  float x = sp.mu_x * xt + sp.mu_x0 * x0 + sp.mu_d * (x0 - dprev[at]) + sp.mu_z * zs[k * p.z_stride + sp.z_offset + i];
  dprev[at] = x0;
  lat[at] = x;
  report[4u + at] = floatBitsToUint (x0);
  report[4u + p.K * p.n + at] = floatBitsToUint (x);
  report[4u + 2u * p.K * p.n + at] = floatBitsToUint (g);
}
