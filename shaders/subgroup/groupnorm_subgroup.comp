#version 450
// groupnorm_subgroup.comp: GroupNorm over [B, C, HW] with G groups, optional
// fused SiLU, for CPU devices (see subgroup.glsl).
//
// bindings: 0 x, 1 gamma [C], 2 beta [C], 3 out (same shape as x)
// spec:     0 SG
// push:     C, HW (a multiple of 4), G, eps, silu
// math:     one workgroup (one subgroup) per (group, batch): a group is one
//           contiguous block of C/G planes.  Pass 1 sums x - s and (x - s)^2
//           in vec4s, s being the group's first value (shifted sums: no
//           cancellation when the mean is large next to the spread), and
//           adds the lanes' sums; mean = s + S1 / n, var = S2 / n - (S1 / n)^2.
//           Pass 2 writes x * a + b per channel, a = gamma inv_std,
//           b = beta - mean a, then SiLU.  fp32 statistics.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "subgroup.glsl"
#extension GL_KHR_shader_subgroup_arithmetic : require

#ifdef ACT_F16
layout (std430, binding = 0) readonly buffer BufX { uvec2 x4[]; };
#define LOAD_X(i) se_unpack4 (x4[i])
#else
layout (std430, binding = 0) readonly buffer BufX { vec4 x4[]; };
#define LOAD_X(i) x4[i]
#endif
layout (std430, binding = 1) readonly buffer BufG { float gamma[]; };
layout (std430, binding = 2) readonly buffer BufB { float beta[]; };
#ifdef ACT_F16
layout (std430, binding = 3) writeonly buffer BufO { uvec2 o4[]; };
#define STORE_O(i, v) o4[i] = se_pack4 (v)
#else
layout (std430, binding = 3) writeonly buffer BufO { vec4 o4[]; };
#define STORE_O(i, v) o4[i] = v
#endif

layout (push_constant) uniform Push {
  uint C, HW, G;
  float eps;
  uint silu;
} p;

void main ()
{
  uint lane = gl_SubgroupInvocationID;
  uint g = gl_WorkGroupID.x, b = gl_WorkGroupID.y;
  uint cpg = p.C / p.G;
  uint hw4 = p.HW / 4, n4 = cpg * hw4;
  uint base = (b * p.C + g * cpg) * hw4;

  float shift = LOAD_X (base).x;
  vec4 s1 = vec4 (0.0), s2 = vec4 (0.0);
  for (uint i = lane; i < n4; i += SG) {
    vec4 v = LOAD_X (base + i) - shift;
    s1 += v;
    s2 += v * v;
  }
  float n = float (n4 * 4);
  float m1 = subgroupAdd (s1.x + s1.y + s1.z + s1.w) / n;
  float m2 = subgroupAdd (s2.x + s2.y + s2.z + s2.w) / n;
  float mean = shift + m1;
  float inv = inversesqrt (max (m2 - m1 * m1, 0.0) + p.eps);

  for (uint c = 0; c < cpg; c++) {
    uint ch = g * cpg + c;
    float a = gamma[ch] * inv;
    float bb = beta[ch] - mean * a;
    uint cbase = base + c * hw4;
    for (uint i = lane; i < hw4; i += SG) {
      vec4 v = LOAD_X (cbase + i) * a + bb;
      if (p.silu != 0)
        v = vec4 (se_silu (v.x), se_silu (v.y), se_silu (v.z), se_silu (v.w));
      STORE_O (cbase + i, v);
    }
  }
}
