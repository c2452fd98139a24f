#version 450
// fill_sample.comp: a UNet batch's sample from the candidates' latents:
// per copies of each candidate in [c0, c0 + count), in the activations' type.
//
// bindings: 0 src [K][stride] fp32 latents, 1 step params, 2 sample [count * per][n]
// push:     n, stride, per, c0, count
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"
#define STEP_PARAMS_BINDING 1
#include "step_params.glsl"

layout (std430, binding = 0) readonly buffer Src { float src[]; };
layout (std430, binding = 2) writeonly buffer Sample { ACT sample_out[]; };

layout (push_constant) uniform Push {
  uint n, stride, per, c0, count;
} p;

void main ()
{
  uint q = linear_invocation ();
  if (q >= p.count * p.per * p.n)
    return;
  uint row = q / p.n, i = q % p.n, c = row / p.per;
  sample_out[q] = ACT (src[(p.c0 + c) * p.stride + sp.src_offset + i]);
}
