#version 450
// attention_coopmat.comp: multi-head scaled-dot-product attention, flash
// style, with both products on cooperative matrices (coopmat.glsl).
// Bindings and push constants: attention_io.glsl.
//
// A workgroup owns BQ = 16 WARPS queries of one head, 16 per warp, and
// streams the keys BKV at a time through one shared tile (keys, then the
// same tile's values).  Per tile each warp computes its scores S = Q K^T
// (16 x BKV, fp16 operands, fp32 sums) into a scratch, its lanes update
// the online softmax of its 16 rows in fp32 (running maximum and sum; the
// weights P = exp(S - max) go to shared memory as fp16), and the warp
// multiplies P V one 16-column slice of the head at a time, folding each
// into its fp32 output held in registers (O = O corr + P V, corr the
// rescale of the running maximum).  Heads are zero-padded to DP, a
// multiple of 16; queries are scaled as they are staged.
//
// spec:     0 workgroup size (WARPS CM_LANES); 1 CM_LANES (coopmat.glsl);
//           2 D (head width); 3 BKV (keys per tile, a multiple of 16)
#extension GL_GOOGLE_include_directive : require
#define ACT_F16
#include "activations.glsl"
#include "coopmat.glsl"
#include "attention_io.glsl"

layout (local_size_x_id = 0) in;
layout (constant_id = 2) const uint D = 40;
layout (constant_id = 3) const uint BKV = 32;

const uint THREADS = gl_WorkGroupSize.x;
const uint WARPS = THREADS / CM_LANES;
const uint BQ = 16 * WARPS;
const uint DP = (D + 15) / 16 * 16;
const uint LD = DP + 8;                          // padded fp16 rows
const uint PLD = BKV + 8;
const uint OUT_PER_LANE = 256 / CM_LANES;        // of each 16 x 16 output slice

shared float16_t Qs[BQ * LD];
shared float16_t KVs[BKV * LD];                  // the key tile, then its values
shared float Ss[WARPS * 16 * BKV];               // each warp's scores, then P V slices
shared float16_t Ps[WARPS * 16 * PLD];           // each warp's weights
shared float row_max[BQ], row_sum[BQ], row_corr[BQ];

void load_tile (bool values, uint j0)
{
  uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y;
  for (uint e = gl_LocalInvocationIndex; e < BKV * DP; e += THREADS) {
    uint jj = e / DP, d = e % DP, j = j0 + jj;
    float x = 0.0;
    if (j < p.lk && d < D)
      x = values ? float (v[p.v_off + b * p.v_batch + j * p.v_row + h * D + d])
                 : float (k[p.k_off + b * p.k_batch + j * p.k_row + h * D + d]);
    KVs[jj * LD + d] = float16_t (x);
  }
}

void main ()
{
  uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y, q0 = gl_WorkGroupID.x * BQ;
  uint warp = CM_WARP, lane = CM_LANE;
  uint rows = warp * 16;                         // the warp's first query in the tile

  for (uint e = gl_LocalInvocationIndex; e < BQ * DP; e += THREADS) {
    uint qq = e / DP, d = e % DP, qi = q0 + qq;
    float x = qi < p.lq && d < D ? float (q[p.q_off + b * p.q_batch + qi * p.q_row + h * D + d]) * p.scale : 0.0;
    Qs[qq * LD + d] = float16_t (x);
  }
  for (uint r = gl_LocalInvocationIndex; r < BQ; r += THREADS) {
    row_max[r] = LOWEST;
    row_sum[r] = 0.0;
  }
  float acc[DP / 16 * OUT_PER_LANE];
  for (uint i = 0; i < DP / 16 * OUT_PER_LANE; i++)
    acc[i] = 0.0;

  // causal: keys past the tile's last query are never needed
  uint last_query = min (p.lq, q0 + BQ) - 1;
  uint nkeys = p.causal != 0 ? min (p.lk, last_query + 1) : p.lk;
  uint scores = warp * 16 * BKV, weights = warp * 16 * PLD;

  for (uint j0 = 0; j0 < nkeys; j0 += BKV) {
    load_tile (false, j0);
    barrier ();
    for (uint n = 0; n < BKV; n += 16) {
      CM_ACC s;
      cm_zero (s);
      for (uint d = 0; d < DP; d += 16) {
        CM_A a;
        CM_B kt;
        cm_load_a (a, Qs, rows * LD + d, LD);
        cm_load_bt (kt, KVs, n * LD + d, LD);
        cm_mma (s, a, Qs, kt, KVs);
      }
      cm_store (s, Ss, scores + n, BKV);
    }
    barrier ();                                  // scores in place; the keys may go

    load_tile (true, j0);
    if (lane < 16) {
      uint r = rows + lane, i = q0 + r;
      float m_old = row_max[r], m_new = m_old;
      for (uint jj = 0; jj < BKV; jj++) {
        uint j = j0 + jj;
        if (j < p.lk && (p.causal == 0 || j <= i))
          m_new = max (m_new, Ss[scores + lane * BKV + jj]);
      }
      float sum = 0.0;
      for (uint jj = 0; jj < BKV; jj++) {
        uint j = j0 + jj;
        bool valid = j < p.lk && (p.causal == 0 || j <= i);
        float w = valid ? exp (Ss[scores + lane * BKV + jj] - m_new) : 0.0;
        Ps[weights + lane * PLD + jj] = float16_t (w);
        sum += w;
      }
      float corr = exp (m_old - m_new);
      row_sum[r] = row_sum[r] * corr + sum;
      row_max[r] = m_new;
      row_corr[r] = corr;
    }
    barrier ();                                  // values, weights and rescales in place

    for (uint d = 0; d < DP; d += 16) {
      CM_ACC pv;
      cm_zero (pv);
      for (uint n = 0; n < BKV; n += 16) {
        CM_A pa;
        CM_B vb;
        cm_load_a (pa, Ps, weights + n, PLD);
        cm_load_b (vb, KVs, n * LD + d, LD);
        cm_mma (pv, pa, Ps, vb, KVs);
      }
      cm_store (pv, Ss, scores, 16);
      barrier ();
      for (uint i = 0; i < OUT_PER_LANE; i++) {
        uint e = lane + CM_LANES * i;
        uint x = d / 16 * OUT_PER_LANE + i;
        acc[x] = acc[x] * row_corr[rows + e / 16] + Ss[scores + e];
      }
      barrier ();                                // the slice is folded in
    }
  }

  for (uint i = 0; i < OUT_PER_LANE; i++) {
    uint e = lane + CM_LANES * i, r = rows + e / 16, qi = q0 + r;
    float l = row_sum[r], inv = l > 0.0 ? 1.0 / l : 0.0;
    for (uint d = 0; d < DP; d += 16) {
      uint col = d + e % 16;
      if (qi < p.lq && col < D)
        o[p.o_off + b * p.o_batch + qi * p.o_row + h * D + col] = ACT (acc[d / 16 * OUT_PER_LANE + i] * inv);
    }
  }
}
