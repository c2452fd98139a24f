#version 450
// upsample_nearest.comp: nearest-neighbour 2x upsampling of [planes, H, W].
//
// bindings: 0 x, 1 out [planes, 2H, 2W]
// push:     planes, H, W
// math:     out[p, y, x] = in[p, y / 2, x / 2]
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x = 256) in;
#include "common.glsl"

layout (std430, binding = 0) readonly buffer BufX { ACT x[]; };
layout (std430, binding = 1) writeonly buffer BufO { ACT outp[]; };

layout (push_constant) uniform Push {
  uint planes, h, w;
} p;

void main ()
{
  uint i = linear_invocation ();
  uint ow = 2 * p.w, oh = 2 * p.h;
  if (i >= p.planes * oh * ow)
    return;
  uint xx = i % ow, r = i / ow;
  uint yy = r % oh, plane = r / oh;
  outp[i] = ACT (float (x[(plane * p.h + yy / 2) * p.w + xx / 2]));
}
