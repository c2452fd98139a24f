#version 450
// layernorm_subgroup.comp: LayerNorm over the last dimension of [rows, N],
// for CPU devices (see subgroup.glsl).
//
// bindings: 0 x, 1 gamma [N], 2 beta [N], 3 out
// spec:     0 SG
// push:     rows, N (a multiple of 4), eps
// math:     each lane owns one row (no reduction across lanes): pass 1 sums
//           x - s and (x - s)^2 in vec4s, s the row's first value (shifted
//           sums), pass 2 writes (x - mean) inv_std gamma + beta.  fp32.
#extension GL_GOOGLE_include_directive : require
#include "subgroup.glsl"

#ifdef ACT_F16
layout (std430, binding = 0) readonly buffer BufX { uvec2 x4[]; };
#define LOAD_X(i) se_unpack4 (x4[i])
#else
layout (std430, binding = 0) readonly buffer BufX { vec4 x4[]; };
#define LOAD_X(i) x4[i]
#endif
layout (std430, binding = 1) readonly buffer BufG { vec4 gamma4[]; };
layout (std430, binding = 2) readonly buffer BufB { vec4 beta4[]; };
#ifdef ACT_F16
layout (std430, binding = 3) writeonly buffer BufO { uvec2 o4[]; };
#define STORE_O(i, v) o4[i] = se_pack4 (v)
#else
layout (std430, binding = 3) writeonly buffer BufO { vec4 o4[]; };
#define STORE_O(i, v) o4[i] = v
#endif

layout (push_constant) uniform Push {
  uint rows, N;
  float eps;
} p;

void main ()
{
  uint row = gl_WorkGroupID.x * SG + gl_SubgroupInvocationID;
  if (row >= p.rows)
    return;
  uint n4 = p.N / 4, base = row * n4;
  float shift = LOAD_X (base).x;
  vec4 s1 = vec4 (0.0), s2 = vec4 (0.0);
  for (uint i = 0; i < n4; i++) {
    vec4 v = LOAD_X (base + i) - shift;
    s1 += v;
    s2 += v * v;
  }
  float n = float (p.N);
  float m1 = (s1.x + s1.y + s1.z + s1.w) / n;
  float m2 = (s2.x + s2.y + s2.z + s2.w) / n;
  float mean = shift + m1;
  float inv = inversesqrt (max (m2 - m1 * m1, 0.0) + p.eps);
  for (uint i = 0; i < n4; i++)
    STORE_O (base + i, (LOAD_X (base + i) - mean) * inv * gamma4[i] + beta4[i]);
}
