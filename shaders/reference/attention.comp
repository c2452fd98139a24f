#version 450
// attention.comp: multi-head scaled-dot-product attention, flash style.
//
// bindings: 0 Q, 1 K, 2 V, 3 O.  Element (b, l, h, d) of each lives at
//           off + b * batch_stride + l * row_stride + h * D + d, so Q, K and V
//           may be slices of one fused projection.
// spec:     0 workgroup size (queries per workgroup), 1 D (head dim),
//           2 KT (keys per shared-memory tile)
// push:     lengths, strides, offsets, scale, causal
// math:     per query row i: O = sum_j softmax_j(scale * q_i . k_j) v_j, with
//           j <= i when causal.  Keys stream through shared memory in tiles
//           of KT; an online softmax (running max m and sum l, rescaling the
//           accumulator once per tile) keeps memory at O(L * D), never the
//           L x L score matrix.  fp32 throughout.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x_id = 0) in;
layout (constant_id = 1) const uint D = 40;
layout (constant_id = 2) const uint KT = 32;

layout (std430, binding = 0) readonly buffer BufQ { ACT q[]; };
layout (std430, binding = 1) readonly buffer BufK { ACT k[]; };
layout (std430, binding = 2) readonly buffer BufV { ACT v[]; };
layout (std430, binding = 3) writeonly buffer BufO { ACT o[]; };

layout (push_constant) uniform Push {
  uint lq, lk;
  uint q_off, q_row, q_batch;
  uint k_off, k_row, k_batch;
  uint v_off, v_row, v_batch;
  uint o_off, o_row, o_batch;
  float scale;
  uint causal;
} p;

shared float Ks[KT * D];
shared float Vs[KT * D];

void main ()
{
  uint threads = gl_WorkGroupSize.x;
  uint t = gl_LocalInvocationID.x;
  uint i = gl_WorkGroupID.x * threads + t;
  uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  bool live = i < p.lq;

  float qv[D], acc[D];
  uint qbase = p.q_off + b * p.q_batch + i * p.q_row + h * D;
  for (uint d = 0; d < D; d++) {
    qv[d] = live ? float (q[qbase + d]) * p.scale : 0.0;
    acc[d] = 0.0;
  }
  float m = -3.402823466e38, l = 0.0;

  // Causal: keys past the workgroup's last query are never needed.
  uint last_query = min (p.lq, (gl_WorkGroupID.x + 1) * threads) - 1;
  uint nkeys = p.causal != 0 ? min (p.lk, last_query + 1) : p.lk;

  for (uint j0 = 0; j0 < nkeys; j0 += KT) {
    for (uint e = t; e < KT * D; e += threads) {
      uint jj = e / D, d = e % D;
      uint j = j0 + jj;
      bool ok = j < p.lk;
      Ks[e] = ok ? float (k[p.k_off + b * p.k_batch + j * p.k_row + h * D + d]) : 0.0;
      Vs[e] = ok ? float (v[p.v_off + b * p.v_batch + j * p.v_row + h * D + d]) : 0.0;
    }
    barrier ();
    if (live) {
      float s[KT];
      float tile_max = -3.402823466e38;
      bool any = false;
      for (uint jj = 0; jj < KT; jj++) {
        uint j = j0 + jj;
        bool valid = j < p.lk && (p.causal == 0 || j <= i);
        float dot = 0.0;
        if (valid)
          for (uint d = 0; d < D; d++)
            dot += qv[d] * Ks[jj * D + d];
        s[jj] = dot;
        if (valid) {
          tile_max = max (tile_max, dot);
          any = true;
        }
      }
      if (any) {
        float m_new = max (m, tile_max);
        float corr = exp (m - m_new);
        l *= corr;
        for (uint d = 0; d < D; d++)
          acc[d] *= corr;
        for (uint jj = 0; jj < KT; jj++) {
          uint j = j0 + jj;
          if (j >= p.lk || (p.causal != 0 && j > i))
            continue;
          float w = exp (s[jj] - m_new);
          l += w;
          for (uint d = 0; d < D; d++)
            acc[d] += w * Vs[jj * D + d];
        }
        m = m_new;
      }
    }
    barrier ();
  }

  if (live) {
    uint obase = p.o_off + b * p.o_batch + i * p.o_row + h * D;
    float inv = l > 0.0 ? 1.0 / l : 0.0;
    for (uint d = 0; d < D; d++)
      o[obase + d] = ACT (acc[d] * inv);
  }
}
