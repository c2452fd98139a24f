#version 450
// timestep_embedding.comp: sinusoidal timestep embedding (diffusers' Timesteps).
//
// bindings: 0 t [B] (float timesteps), 1 out [B, dim]
// push:     B, dim, flip_sin_to_cos, shift, log_max_period
// math:     half = dim / 2, f_k = exp(-log_max_period * k / (half - shift)),
//           out = [sin(t f), cos(t f)], or [cos, sin] when flipped, a zero
//           column last when dim is odd.  sin/cos use our own range reduction
//           (Cody-Waite, pi/2 in three parts) and polynomials, because
//           GLSL's are only specified to 2^-11 inside [-pi, pi] and t f
//           reaches 1000 radians.
#extension GL_GOOGLE_include_directive : require

layout (local_size_x = 64) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufT { float ts[]; };
layout (std430, binding = 1) writeonly buffer BufO { float outp[]; };

layout (push_constant) uniform Push {
  uint B, dim, flip;
  float shift, log_max_period;
} p;

// Returns (sin x, cos x) with absolute error about 1e-7 for |x| < 1e5.
vec2 sincos_reduced (float x)
{
  float k = round (x * 0.63661977236758134);          // x / (pi/2)
  // pi/2 split so that k * part is exact for |k| < 2^15 (Cephes' DP1..3 x 2)
  float r = x - k * 1.5703125;
  r -= k * 4.837512969970703125e-4;
  r -= k * 7.54978995489188216e-8;
  float r2 = r * r;
  float s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  float c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  int q = int (k) & 3;
  if (q == 0) return vec2 (s, c);
  if (q == 1) return vec2 (c, -s);
  if (q == 2) return vec2 (-s, -c);
  return vec2 (-c, s);
}

void main ()
{
  uint i = linear_invocation ();
  if (i >= p.B * p.dim)
    return;
  uint b = i / p.dim, j = i % p.dim;
  uint half_dim = p.dim / 2;
  if (j >= 2 * half_dim) {
    outp[i] = 0.0;
    return;
  }
  uint k = j % half_dim;
  bool first = j < half_dim;
  float freq = exp (-p.log_max_period * float (k) / (float (half_dim) - p.shift));
  vec2 sc = sincos_reduced (ts[b] * freq);
  bool want_sin = (p.flip != 0) ? !first : first;
  outp[i] = want_sin ? sc.x : sc.y;
}
