#version 450
// cast.comp: a tensor converted between fp32 and fp16 (the VAE's fp16
// activations between the engine's fp32 images and latents).
//
// bindings: 0 x [n], 1 out [n]
// push:     n
// variants: X_F16 (x is fp16, else fp32), OUT_F16 (out is fp16, else fp32)
#extension GL_GOOGLE_include_directive : require
#if defined(X_F16) || defined(OUT_F16)
#extension GL_EXT_shader_16bit_storage : require
#endif

layout (local_size_x = 256) in;
#include "common.glsl"

#ifdef X_F16
#define X_T float16_t
#else
#define X_T float
#endif
#ifdef OUT_F16
#define OUT_T float16_t
#else
#define OUT_T float
#endif

layout (std430, binding = 0) readonly buffer BufX { X_T x[]; };
layout (std430, binding = 1) writeonly buffer BufO { OUT_T o[]; };

layout (push_constant) uniform Push {
  uint n;
} p;

void main ()
{
  uint i = linear_invocation ();
  if (i < p.n)
    o[i] = OUT_T (float (x[i]));
}
