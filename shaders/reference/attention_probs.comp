#version 450
// attention_probs.comp: the attention probabilities of a multi-head
// attention, averaged over its heads (LEDITS++'s cross-attention maps).
//
// bindings: 0 Q [B, Lq, H*D], 1 K [B, Lk, width], 2 P [B, Lq, Lk] (fp32)
// spec:     0 D (head dim)
// push:     lq, lk (at most 4 * 128), heads, scale; K's first column and
//           row length (K may be columns of a wider tensor)
// math:     one workgroup per (query i, batch b), a thread per key (up to
//           4 keys each): per head, the query's row goes to shared memory,
//           each thread scores its keys, the row's max and sum come from
//           shared-memory reductions, and the softmax accumulates per key:
//           P[b, i, j] = 1/H sum_h softmax_j(scale * q_ih . k_jh).  fp32.
//           (Short per-thread loops: one thread per query looping over
//           every head and key ran wrong on lavapipe at SD 1.5's widths.)
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

#define THREADS 128
#define SLOTS 4

layout (local_size_x = THREADS) in;
layout (constant_id = 0) const uint D = 40;

layout (std430, binding = 0) readonly buffer BufQ { ACT q[]; };
layout (std430, binding = 1) readonly buffer BufK { ACT k[]; };
layout (std430, binding = 2) writeonly buffer BufP { float probs[]; };

layout (push_constant) uniform Push {
  uint lq, lk, heads;
  float scale;
  uint k_off, k_row;
} p;

shared float qs[D];
shared float red[THREADS];

// the workgroup's max (max) or sum (!max) of v
float reduce (float v, bool max_op)
{
  uint t = gl_LocalInvocationID.x;
  red[t] = v;
  barrier ();
  for (uint s = THREADS / 2; s > 0; s >>= 1) {
    if (t < s)
      red[t] = max_op ? max (red[t], red[t + s]) : red[t] + red[t + s];
    barrier ();
  }
  float r = red[0];
  barrier ();
  return r;
}

void main ()
{
  uint i = gl_WorkGroupID.x, b = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
  uint C = p.heads * D;
  float acc[SLOTS];
  for (uint r = 0; r < SLOTS; r++)
    acc[r] = 0.0;
  for (uint h = 0; h < p.heads; h++) {
    for (uint d = t; d < D; d += THREADS)
      qs[d] = float (q[(b * p.lq + i) * C + h * D + d]);
    barrier ();
    float s[SLOTS];
    float m = -3.402823466e38;
    for (uint r = 0; r < SLOTS; r++) {
      uint j = t + r * THREADS;
      s[r] = -3.402823466e38;
      if (j < p.lk) {
        uint kbase = p.k_off + (b * p.lk + j) * p.k_row + h * D;
        float dot = 0.0;
        for (uint d = 0; d < D; d++)
          dot += qs[d] * float (k[kbase + d]);
        s[r] = p.scale * dot;
        m = max (m, s[r]);
      }
    }
    m = reduce (m, true);
    float l = 0.0;
    for (uint r = 0; r < SLOTS; r++) {
      s[r] = t + r * THREADS < p.lk ? exp (s[r] - m) : 0.0;
      l += s[r];
    }
    l = reduce (l, false);
    for (uint r = 0; r < SLOTS; r++)
      acc[r] += s[r] / l;
  }
  for (uint r = 0; r < SLOTS; r++) {
    uint j = t + r * THREADS;
    if (j < p.lk)
      probs[(b * p.lq + i) * p.lk + j] = acc[r] / float (p.heads);
  }
}
