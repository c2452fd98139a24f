// gemm_coopmat.glsl: the GEMM core of the coopmat kernels (coopmat.glsl),
// the family for GPUs with cooperative matrices (tensor cores).
//
// A workgroup of WARPS warps computes a BM x BN block of C: the warps form
// a WM x WN grid and each owns TM x TN 16x16 accumulator tiles (BM = WM TM
// 16, BN = WN TN 16).  K advances BK at a time: the workgroup stages A's
// BM x BK and B's BK x BN tiles in shared memory as fp16 (rows padded by 8
// halves against bank conflicts, B stored n-major so both load along K),
// loading the next step's share into registers four elements at a time
// while the warps multiply the current one.  The epilogue goes through a
// 16 x 32 fp32 scratch per warp, two accumulator tiles at a time: with
// GEGLU_PAIRS the second of each pair holds the gates of the first's
// columns.
//
// spec:     0 workgroup size (WARPS CM_LANES); 1 CM_LANES (coopmat.glsl);
//           2 WM; 3 TM; 4 TN (even); 5 BK (a multiple of 16).  The host
//           keeps BM BK / 4 and BN BK / 4 multiples of the workgroup size.
//
// The includer defines A_ALONG_K and B_ALONG_K (as for gemm_tiled.glsl)
// and GEGLU_PAIRS before including this file, and after it
//   vec4 fetch_a (uint z, uint m, uint k), vec4 fetch_b (uint z, uint k, uint n)
//   void emit (uint z, uint m, uint n, float value, float gate)
// (n: the value's column of the block grid; gate only with GEGLU_PAIRS);
// then gemm_coopmat (z, m0, n0, K) computes the block and emits it.
#include "coopmat.glsl"

layout (local_size_x_id = 0) in;
layout (constant_id = 2) const uint WM = 2;
layout (constant_id = 3) const uint TM = 2;
layout (constant_id = 4) const uint TN = 2;
layout (constant_id = 5) const uint BK = 32;

const uint THREADS = gl_WorkGroupSize.x;
const uint WN = THREADS / CM_LANES / WM;
const uint BM = WM * TM * 16;
const uint BN = WN * TN * 16;
const uint BKP = BK + 8;                        // padded shared rows
const uint SA = BM * BK / 4 / THREADS;
const uint SB = BN * BK / 4 / THREADS;
const uint WARPS = THREADS / CM_LANES;

shared float16_t As[BM * BKP];                  // [m][k]
shared float16_t Bs[BN * BKP];                  // [n][k]
// CORE_EXTRA_FLOATS (the includer's, default none) more floats after the
// scratch, CORE_EXTRA (i), as in gemm_tiled.glsl
#ifndef CORE_EXTRA_FLOATS
#define CORE_EXTRA_FLOATS 0
#endif
shared float Cs[WARPS * 16 * 32 + CORE_EXTRA_FLOATS];   // each warp's epilogue scratch
#define CORE_EXTRA(i) Cs[WARPS * 16 * 32 + (i)]

vec4 fetch_a (uint z, uint m, uint k);
vec4 fetch_b (uint z, uint k, uint n);
void emit (uint z, uint m, uint n, float value, float gate);

CM_ACC acc[TM * TN];
vec4 ra[SA], rb[SB];                            // the next step's loads

#include "gemm_fetch.glsl"

// fp16 operands: values beyond fp16's range become infinities, which the
// engine's finiteness checks then report
void gemm_coopmat_stash ()
{
  uint t = gl_LocalInvocationIndex;
  for (uint i = 0; i < SA; i++) {
    uint s = t + i * THREADS;
    for (uint c = 0; c < 4; c++) {
      if (A_ALONG_K)
        As[s / (BK / 4) * BKP + s % (BK / 4) * 4 + c] = float16_t (ra[i][c]);
      else
        As[(s % (BM / 4) * 4 + c) * BKP + s / (BM / 4)] = float16_t (ra[i][c]);
    }
  }
  for (uint i = 0; i < SB; i++) {
    uint s = t + i * THREADS;
    for (uint c = 0; c < 4; c++) {
      if (B_ALONG_K)
        Bs[s / (BK / 4) * BKP + s % (BK / 4) * 4 + c] = float16_t (rb[i][c]);
      else
        Bs[(s % (BN / 4) * 4 + c) * BKP + s / (BN / 4)] = float16_t (rb[i][c]);
    }
  }
}

// Emits the warp's accumulator tiles (i, j) and (i, j + 1).
void gemm_coopmat_emit_pair (uint z, uint m, uint n, uint i, uint j)
{
  uint scratch = CM_WARP * 16 * 32;
  cm_store (acc[i * TN + j], Cs, scratch, 32);
  cm_store (acc[i * TN + j + 1], Cs, scratch + 16, 32);
  barrier ();
  for (uint e = CM_LANE; e < (GEGLU_PAIRS ? 256 : 512); e += CM_LANES) {
    if (GEGLU_PAIRS) {
      uint r = e / 16, c = e % 16;
      emit (z, m + r, n + c, Cs[scratch + r * 32 + c], Cs[scratch + r * 32 + 16 + c]);
    } else {
      uint r = e / 32, c = e % 32;
      emit (z, m + r, n + c, Cs[scratch + r * 32 + c], 0.0);
    }
  }
  barrier ();
}

void gemm_coopmat (uint z, uint m0, uint n0, uint K)
{
  uint wm = CM_WARP % WM, wn = CM_WARP / WM;
  for (uint i = 0; i < TM * TN; i++)
    cm_zero (acc[i]);
  gemm_fetch (z, m0, n0, 0);
  uint steps = (K + BK - 1) / BK;
  for (uint s = 0; s < steps; s++) {
    gemm_coopmat_stash ();
    barrier ();
    if (s + 1 < steps)
      gemm_fetch (z, m0, n0, (s + 1) * BK);
    for (uint kk = 0; kk < BK; kk += 16) {
      CM_A a[TM];
      CM_B b[TN];
      for (uint i = 0; i < TM; i++)
        cm_load_a (a[i], As, ((wm * TM + i) * 16) * BKP + kk, BKP);
      for (uint j = 0; j < TN; j++)
        cm_load_bt (b[j], Bs, ((wn * TN + j) * 16) * BKP + kk, BKP);
      for (uint i = 0; i < TM; i++)
        for (uint j = 0; j < TN; j++)
          cm_mma (acc[i * TN + j], a[i], As, b[j], Bs);
    }
    barrier ();                                 // the tiles are used
  }

  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < TN; j += 2)
      gemm_coopmat_emit_pair (z, m0 + (wm * TM + i) * 16, n0 + (wn * TN + j) * 16, i, j);
}
