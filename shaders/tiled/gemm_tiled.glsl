// gemm_tiled.glsl: the shared-memory GEMM core of the tiled kernels, the
// family for GPUs (see SeKernels in gpu/device.h).
//
// A workgroup of WX x WY threads computes a BM x BN block of C (BM = WY TM,
// BN = WX TN); thread (x, y) owns rows y + i WY and columns x + j WX, so
// neighbouring threads read neighbouring shared words.  K advances BK at a
// time through two shared buffers: while the workgroup multiplies the tiles
// in one, each thread holds its share of the next step's tiles in registers
// (loaded four elements at a time: a vec4, or four packed halves) and stores
// it into the other buffer afterwards, so global loads overlap arithmetic
// and one barrier per step suffices.  The host keeps BM BK / 4 and BN BK / 4
// multiples of the thread count.
//
// The includer defines A_ALONG_K and B_ALONG_K (bool: whether A's / B's
// four-element loads run along K, else along M / N) before including this
// file, and the loads after it:
//   vec4 fetch_a (uint z, uint m, uint k)  A[m][k..k+3] or A[m..m+3][k]
//   vec4 fetch_b (uint z, uint k, uint n)  B[k..k+3][n] or B[k][n..n+3]
//   (zero outside the matrices); then gemm_tiled (z, m0, n0, K) leaves C's
// block in acc.
layout (local_size_x_id = 0, local_size_y_id = 1) in;
layout (constant_id = 2) const uint TM = 8;
layout (constant_id = 3) const uint TN = 8;
layout (constant_id = 4) const uint BK = 16;

const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint THREADS = WX * WY;
const uint BM = WY * TM;
const uint BN = WX * TN;
const uint SA = BM * BK / 4 / THREADS;
const uint SB = BN * BK / 4 / THREADS;

// CORE_EXTRA_FLOATS (the includer's, default none) more floats after A's
// tiles, CORE_EXTRA (i): a shared array costs its alignment even when
// unused, and the large block fills 32 KiB exactly
#ifndef CORE_EXTRA_FLOATS
#define CORE_EXTRA_FLOATS 0
#endif
shared float As[2 * BK * BM + CORE_EXTRA_FLOATS];   // [buffer][k][m], then the extra
#define CORE_EXTRA(i) As[2 * BK * BM + (i)]
shared float Bs[2 * BK * BN];   // [buffer][k][n]

vec4 fetch_a (uint z, uint m, uint k);
vec4 fetch_b (uint z, uint k, uint n);

float acc[TM * TN];
vec4 ra[SA], rb[SB];            // the next step's loads

#include "gemm_fetch.glsl"

void gemm_stash (uint buf)
{
  uint t = gl_LocalInvocationIndex;
  uint ao = buf * BK * BM, bo = buf * BK * BN;
  for (uint i = 0; i < SA; i++) {
    uint s = t + i * THREADS;
    for (uint c = 0; c < 4; c++) {
      if (A_ALONG_K)
        As[ao + (s % (BK / 4) * 4 + c) * BM + s / (BK / 4)] = ra[i][c];
      else
        As[ao + s / (BM / 4) * BM + s % (BM / 4) * 4 + c] = ra[i][c];
    }
  }
  for (uint i = 0; i < SB; i++) {
    uint s = t + i * THREADS;
    for (uint c = 0; c < 4; c++) {
      if (B_ALONG_K)
        Bs[bo + (s % (BK / 4) * 4 + c) * BN + s / (BK / 4)] = rb[i][c];
      else
        Bs[bo + s / (BN / 4) * BN + s % (BN / 4) * 4 + c] = rb[i][c];
    }
  }
}

void gemm_tiled (uint z, uint m0, uint n0, uint K)
{
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  for (uint i = 0; i < TM * TN; i++)
    acc[i] = 0.0;
  gemm_fetch (z, m0, n0, 0);
  gemm_stash (0);
  barrier ();
  uint steps = (K + BK - 1) / BK;
  for (uint s = 0; s < steps; s++) {
    bool more = s + 1 < steps;
    if (more)
      gemm_fetch (z, m0, n0, (s + 1) * BK);
    uint ao = (s & 1) * BK * BM, bo = (s & 1) * BK * BN;
    for (uint kk = 0; kk < BK; kk++) {
      float av[TM], bv[TN];
      for (uint i = 0; i < TM; i++)
        av[i] = As[ao + kk * BM + ty + i * WY];
      for (uint j = 0; j < TN; j++)
        bv[j] = Bs[bo + kk * BN + tx + j * WX];
      for (uint i = 0; i < TM; i++)
        for (uint j = 0; j < TN; j++)
          acc[i * TN + j] += av[i] * bv[j];
    }
    // the other buffer was last read in step s - 1, which every thread
    // finished before the barrier that ended it
    if (more)
      gemm_stash ((s + 1) & 1);
    barrier ();
  }
}
