#version 450
// invert_step.comp: one step of edit-friendly DDPM inversion per latent
// value of candidates [c0, c0 + count): the noise map that takes x_t to the
// noised x_{t-1} through DDPM's posterior mean, and x_{t-1} made exactly
// that mean plus the map (the host's double-precision loop in
// plug-in/engine/ledits/session.c was the reference).
//
// bindings: 0 eps [count * per][n] (uncond, then source when per is 2),
//           1 step params (z_offset: x_{t-1}'s index idx, last: idx is 0),
//           2 xts [K][steps + 1][n] fp32 (in, out), 3 zs [K][steps][n] fp32 out,
//           4 reconstructions [K][n] fp32 out (at the last step),
//           5 report (uint words): [0] 1 when eps held infinity or NaN, [1] its bits
// push:     n, per, c0, count, steps
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 0) readonly buffer Eps { ACT eps[]; };
layout (std430, binding = 2) buffer Xts { float xts[]; };
layout (std430, binding = 3) writeonly buffer Zs { float zs[]; };
layout (std430, binding = 4) writeonly buffer Rec { float rec[]; };
layout (std430, binding = 5) buffer Report { uint report[]; };

layout (push_constant) uniform Push {
  uint n, per, c0, count, steps;
} p;

float load_eps (uint at)
{
  float v = float (eps[at]);
  if (se_not_finite (v)) {
    report[1] = floatBitsToUint (v);
    report[0] = 1u;
  }
  return v;
}

void main ()
{
  uint q = linear_invocation ();
  if (q >= p.count * p.n)
    return;
  uint c = q / p.n, i = q % p.n, k = p.c0 + c, idx = sp.z_offset;
  uint base = c * p.per * p.n + i;
  float eu = load_eps (base);
  float e = p.per == 2u ? eu + sp.cfg * (load_eps (base + p.n) - eu) : eu;
  uint prev = (k * (p.steps + 1u) + idx) * p.n + i;
  float x0 = sp.x0_x * xts[prev + p.n] - sp.x0_e * e;
  float mu = sp.mu_x0 * x0 + sp.mu_e * e;
  float z = (xts[prev] - mu) / sp.mu_z;
  xts[prev] = mu + sp.mu_z * z;
  // the last step's map is zero: an unchanged edit ends on the mean
  zs[(k * p.steps + idx) * p.n + i] = sp.last != 0u ? 0.0 : z;
  if (sp.last != 0u)
    rec[k * p.n + i] = mu;
}
