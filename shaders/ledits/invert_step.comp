#version 450
// invert_step.comp: one step of edit-friendly inversion per latent value of
// candidates [c0, c0 + count), for DDPM (LEDITS) and the DPM-Solver
// (LEDITS++) through step_params.glsl's update: the noise map that takes
// x_t to the noised x_{t-1}, and x_{t-1} made exactly the update plus that
// map; on the last step the reconstruction (the step's mean, or x0 for the
// solver) and a zero map.
//
// bindings: 0 eps [count * per][n] (the first context, then the second when
//           per is 2: e = e_0 + cfg (e_1 - e_0)), 1 step params (z_offset:
//           x_{t-1}'s index, last: LAST_*), 2 xts [K][steps + 1][n] fp32 (in,
//           out), 3 zs [K][steps][n] fp32 out, 4 reconstructions [K][n] fp32
//           out, 5 x0 of the previous step [K][n] fp32 (in, out), 6 report
//           (uint words): [0] 1 when eps held infinity or NaN, [1] its bits
// push:     n, per, c0, count, steps
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 2) buffer Xts { float xts[]; };
layout (std430, binding = 3) writeonly buffer Zs { float zs[]; };
layout (std430, binding = 4) writeonly buffer Rec { float rec[]; };
layout (std430, binding = 5) buffer Dprev { float dprev[]; };
layout (std430, binding = 6) buffer Report { uint report[]; };

layout (push_constant) uniform Push {
  uint n, per, c0, count, steps;
} p;

#include "step_eps.glsl"

void main ()
{
  uint q = linear_invocation ();
  if (q >= p.count * p.n)
    return;
  uint c = q / p.n, i = q % p.n, k = p.c0 + c, idx = sp.z_offset, at = k * p.n + i;
  uint base = c * p.per * p.n + i;
  float e0 = load_eps (base);
  float e = p.per == 2u ? e0 + sp.cfg * (load_eps (base + p.n) - e0) : e0;
  uint prev = (k * (p.steps + 1u) + idx) * p.n + i;
  float xt = xts[prev + p.n];
  float x0 = sp.x0_x * xt - sp.x0_e * e;
  float mu = sp.mu_x * xt + sp.mu_x0 * x0 + sp.mu_e * e + sp.mu_d * (x0 - dprev[at]);
  dprev[at] = x0;
  uint zat = (k * p.steps + idx) * p.n + i;
  if (sp.last == LAST_DATA) {
    rec[at] = x0;
    zs[zat] = 0.0;
    return;
  }
  float z = (xts[prev] - mu) / sp.mu_z;
  xts[prev] = mu + sp.mu_z * z;
  zs[zat] = sp.last == LAST_MEAN ? 0.0 : z;
  if (sp.last == LAST_MEAN)
    rec[at] = mu;
}
