#version 450
// elementwise.comp: one element-wise operator per dispatch.
//
// bindings: 0 a [n], 1 b (broadcast: element (i / b_div) % b_mod), 2 out [n]
// push:     n, op, b_div, b_mod, alpha
// ops:      0 add a + b, 1 mul a * b, 2 scale alpha * a, 3 SiLU a * sigmoid(a),
//           4 GELU (erf form), 5 quick-GELU a * sigmoid(1.702 a),
//           6 axpy a + alpha * b
// Unary ops ignore b (bind any buffer there).  out may alias a.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufA { ACT a[]; };
layout (std430, binding = 1) readonly buffer BufB { ACT b[]; };
layout (std430, binding = 2) writeonly buffer BufO { ACT outp[]; };

layout (push_constant) uniform Push {
  uint n, op, b_div, b_mod;
  float alpha;
} p;

void main ()
{
  uint i = linear_invocation ();
  if (i >= p.n)
    return;
  float x = float (a[i]);
  float r;
  switch (p.op) {
  case 0: r = x + float (b[(i / p.b_div) % p.b_mod]); break;
  case 1: r = x * float (b[(i / p.b_div) % p.b_mod]); break;
  case 2: r = p.alpha * x; break;
  case 3: r = se_silu (x); break;
  case 4: r = se_gelu (x); break;
  case 5: r = x / (1.0 + exp (-1.702 * x)); break;
  default: r = x + p.alpha * float (b[(i / p.b_div) % p.b_mod]); break;
  }
  outp[i] = ACT (r);
}
