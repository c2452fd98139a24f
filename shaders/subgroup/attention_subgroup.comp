#version 450
// attention_subgroup.comp: multi-head attention, flash style, with queries
// held in registers and keys and values passed between the lanes of one
// subgroup (see subgroup.glsl).
//
// bindings: 0 Q, 1 K, 2 V, 3 O; element (b, l, h, d) of each at off +
//           b * batch_stride + l * row_stride + h * D + d (all multiples of 4)
// spec:     0 SG; 1 D4 = head dim / 4; 2 QN queries per lane
// push:     lengths, offsets, strides, scale, causal
// math:     lane l of workgroup (x, h, b) owns queries x SG QN + a SG + l,
//           a < QN.  Keys come SG at a time, one row per lane (D4 vec4
//           loads); each lane takes every key from its lane by shuffle, so
//           a key row is loaded once per SG QN queries.  Online softmax per
//           query (running max m, sum l; the accumulator is rescaled once
//           per SG keys), then the values, passed the same way.  Keys past
//           Lk, and past the query when causal, weigh zero.  fp32 throughout.
#extension GL_GOOGLE_include_directive : require
#include "subgroup.glsl"

layout (constant_id = 1) const uint D4 = 10;
layout (constant_id = 2) const uint QN = 1;

#ifdef ACT_F16
layout (std430, binding = 0) readonly buffer BufQ { uvec2 q4[]; };
layout (std430, binding = 1) readonly buffer BufK { uvec2 k4[]; };
layout (std430, binding = 2) readonly buffer BufV { uvec2 v4[]; };
layout (std430, binding = 3) writeonly buffer BufO { uvec2 o4[]; };
#define LOAD(buf, i) se_unpack4 (buf[i])
#define STORE_O(i, v) o4[i] = se_pack4 (v)
#else
layout (std430, binding = 0) readonly buffer BufQ { vec4 q4[]; };
layout (std430, binding = 1) readonly buffer BufK { vec4 k4[]; };
layout (std430, binding = 2) readonly buffer BufV { vec4 v4[]; };
layout (std430, binding = 3) writeonly buffer BufO { vec4 o4[]; };
#define LOAD(buf, i) buf[i]
#define STORE_O(i, v) o4[i] = v
#endif

layout (push_constant) uniform Push {
  uint lq, lk;
  uint q_off, q_row, q_batch;
  uint k_off, k_row, k_batch;
  uint v_off, v_row, v_batch;
  uint o_off, o_row, o_batch;
  float scale;
  uint causal;
} p;

const float NO_SCORE = -3.402823466e38;

void main ()
{
  uint lane = gl_SubgroupInvocationID;
  uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  uint first = gl_WorkGroupID.x * SG * QN;
  uint hd = h * D4 * 4;

  vec4 q[QN][D4], acc[QN][D4];
  float m[QN], l[QN];
  uint qi[QN];
  [[unroll]] for (uint a = 0; a < QN; a++) {
    qi[a] = first + a * SG + lane;
    // past the end: a clamped row, computed and not stored (a conditional
    // load costs far more than that on lavapipe)
    uint base = p.q_off + b * p.q_batch + min (qi[a], p.lq - 1) * p.q_row + hd;
    [[unroll]] for (uint d = 0; d < D4; d++) {
      q[a][d] = LOAD (q4, base / 4 + d) * p.scale;
      acc[a][d] = vec4 (0.0);
    }
    m[a] = NO_SCORE;
    l[a] = 0.0;
  }

  // Causal: keys past the workgroup's last query are never needed.
  uint last = min (p.lq, first + SG * QN) - 1;
  uint nkeys = p.causal != 0 ? min (p.lk, last + 1) : p.lk;

  for (uint j0 = 0; j0 < nkeys; j0 += SG) {
    uint j = min (j0 + lane, p.lk - 1);     // keys past the end weigh zero below
    vec4 kv[D4];
    uint kbase = p.k_off + b * p.k_batch + j * p.k_row + hd;
    [[unroll]] for (uint d = 0; d < D4; d++)
      kv[d] = LOAD (k4, kbase / 4 + d);
    float s[QN][SG];
    [[unroll]] for (uint t = 0; t < SG; t++) {
      [[unroll]] for (uint a = 0; a < QN; a++)
        s[a][t] = 0.0;
      [[unroll]] for (uint d = 0; d < D4; d++) {
        vec4 kt = subgroupShuffle (kv[d], t);
        [[unroll]] for (uint a = 0; a < QN; a++)
          s[a][t] += dot (q[a][d], kt);
      }
    }
    [[unroll]] for (uint a = 0; a < QN; a++) {
      float mx = m[a];
      [[unroll]] for (uint t = 0; t < SG; t++) {
        uint jt = j0 + t;
        bool valid = jt < p.lk && (p.causal == 0 || jt <= qi[a]);
        s[a][t] = valid ? s[a][t] : uintBitsToFloat (0xff800000u);  // -inf
        mx = max (mx, s[a][t]);
      }
      float corr = exp (m[a] - mx);
      m[a] = mx;
      l[a] *= corr;
      [[unroll]] for (uint t = 0; t < SG; t++) {
        s[a][t] = exp (s[a][t] - mx);
        l[a] += s[a][t];
      }
      [[unroll]] for (uint d = 0; d < D4; d++)
        acc[a][d] *= corr;
    }
    vec4 vv[D4];
    uint vbase = p.v_off + b * p.v_batch + j * p.v_row + hd;
    [[unroll]] for (uint d = 0; d < D4; d++)
      vv[d] = LOAD (v4, vbase / 4 + d);
    [[unroll]] for (uint t = 0; t < SG; t++)
      [[unroll]] for (uint d = 0; d < D4; d++) {
        vec4 vt = subgroupShuffle (vv[d], t);
        [[unroll]] for (uint a = 0; a < QN; a++)
          acc[a][d] += s[a][t] * vt;
      }
  }

  [[unroll]] for (uint a = 0; a < QN; a++) {
    if (qi[a] >= p.lq)
      continue;
    float inv = l[a] > 0.0 ? 1.0 / l[a] : 0.0;
    uint base = p.o_off + b * p.o_batch + qi[a] * p.o_row + hd;
    [[unroll]] for (uint d = 0; d < D4; d++)
      STORE_O (base / 4 + d, acc[a][d] * inv);
  }
}
