#version 450
// attention_tiled.comp: multi-head scaled-dot-product attention, flash
// style, for GPUs: a workgroup owns a tile of BQ queries of one head and
// streams the keys through shared memory BKV at a time.  Bindings and push
// constants are attention.comp's.
//
// spec:     0 workgroup size T; 1 D (head width); 2 BQ queries per
//           workgroup; 3 BKV keys per tile (TPR = T / BQ threads per query
//           divides BKV; the host sizes the tiles to the device's shared
//           memory)
// math:     per key tile, thread r of query q's TPR threads computes the
//           scores of keys r, r + TPR, ... (dot products over the head read
//           from shared memory: no thread holds a whole query), the tile's
//           row maximum is reduced through shared memory, the online
//           softmax rescales the row's running sum and accumulator, and the
//           thread accumulates P V for head elements r, r + TPR, ... (D /
//           TPR values in registers).  Scores, statistics and accumulation
//           are fp32; the causal mask and the ends of Lq and Lk are masks.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"

layout (local_size_x_id = 0) in;
layout (constant_id = 1) const uint D = 40;
layout (constant_id = 2) const uint BQ = 16;
layout (constant_id = 3) const uint BKV = 32;

#include "attention_io.glsl"

const uint T = gl_WorkGroupSize.x;
const uint TPR = T / BQ;
const uint KPT = BKV / TPR;                  // keys per thread per tile
const uint DPT = (D + TPR - 1) / TPR;        // head elements per thread
const uint DS = D + 1;                       // padded rows: no bank conflicts

shared float Qs[BQ * DS];
shared float KVs[BKV * DS];                  // the key tile, then the value tile
shared float Ps[BQ * (BKV + 1)];
shared float row_max[BQ * TPR];
shared float row_sum[BQ * TPR];

void load_tile (uint base, uint row, uint j0)
{
  for (uint e = gl_LocalInvocationID.x; e < BKV * D; e += T) {
    uint jj = e / D, d = e % D;
    uint j = j0 + jj;
    float x = 0.0;
    if (j < p.lk)
      x = base == 0 ? float (k[p.k_off + gl_WorkGroupID.z * p.k_batch + j * row + gl_WorkGroupID.y * D + d])
                    : float (v[p.v_off + gl_WorkGroupID.z * p.v_batch + j * row + gl_WorkGroupID.y * D + d]);
    KVs[jj * DS + d] = x;
  }
}

void main ()
{
  uint t = gl_LocalInvocationID.x;
  uint qr = t / TPR, r = t % TPR;
  uint q0 = gl_WorkGroupID.x * BQ;
  uint h = gl_WorkGroupID.y, b = gl_WorkGroupID.z;
  uint i = q0 + qr;

  for (uint e = t; e < BQ * D; e += T) {
    uint qq = e / D, d = e % D;
    uint qi = q0 + qq;
    Qs[qq * DS + d] = qi < p.lq ? float (q[p.q_off + b * p.q_batch + qi * p.q_row + h * D + d]) * p.scale : 0.0;
  }

  float acc[DPT];
  for (uint x = 0; x < DPT; x++)
    acc[x] = 0.0;
  float m = LOWEST, l = 0.0;

  // causal: keys past the tile's last query are never needed
  uint last_query = min (p.lq, q0 + BQ) - 1;
  uint nkeys = p.causal != 0 ? min (p.lk, last_query + 1) : p.lk;

  for (uint j0 = 0; j0 < nkeys; j0 += BKV) {
    load_tile (0, p.k_row, j0);
    barrier ();
    float s[KPT];
    float tile_max = LOWEST;
    for (uint x = 0; x < KPT; x++) {
      uint jj = r + x * TPR, j = j0 + jj;
      float dot = 0.0;
      for (uint d = 0; d < D; d++)
        dot += Qs[qr * DS + d] * KVs[jj * DS + d];
      bool valid = j < p.lk && (p.causal == 0 || j <= i);
      s[x] = valid ? dot : LOWEST;
      tile_max = max (tile_max, s[x]);
    }
    row_max[qr * TPR + r] = tile_max;
    barrier ();                              // scores done: the keys may go

    load_tile (1, p.v_row, j0);
    for (uint x = 0; x < TPR; x++)
      tile_max = max (tile_max, row_max[qr * TPR + x]);
    float m_new = max (m, tile_max);
    float sum = 0.0;
    for (uint x = 0; x < KPT; x++) {
      float w = s[x] == LOWEST ? 0.0 : exp (s[x] - m_new);
      Ps[qr * (BKV + 1) + r + x * TPR] = w;
      sum += w;
    }
    row_sum[qr * TPR + r] = sum;
    barrier ();                              // values and weights in place

    float corr = exp (m - m_new);
    sum = 0.0;
    for (uint x = 0; x < TPR; x++)
      sum += row_sum[qr * TPR + x];
    l = l * corr + sum;
    m = m_new;
    for (uint x = 0; x < DPT; x++) {
      uint d = r + x * TPR;
      float a = acc[x] * corr;
      if (d < D)
        for (uint jj = 0; jj < BKV; jj++)
          a += Ps[qr * (BKV + 1) + jj] * KVs[jj * DS + d];
      acc[x] = a;
    }
    barrier ();                              // the tile's values are used
  }

  if (i < p.lq) {
    uint obase = p.o_off + b * p.o_batch + i * p.o_row + h * D;
    float inv = l > 0.0 ? 1.0 / l : 0.0;
    for (uint x = 0; x < DPT; x++) {
      uint d = r + x * TPR;
      if (d < D)
        o[obase + d] = ACT (acc[x] * inv);
    }
  }
}
