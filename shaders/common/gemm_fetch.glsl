// gemm_fetch.glsl: the register prefetch both GEMM cores share
// (tiled/gemm_tiled.glsl, coopmat/gemm_coopmat.glsl): each of the THREADS
// threads loads its SA four-element pieces of A's BM x BK tile and SB of
// B's BK x BN tile at K step k0 into ra and rb, along K or along M / N as
// A_ALONG_K and B_ALONG_K say.  The core declares THREADS, BM, BN, BK, SA,
// SB, ra, rb and fetch_a / fetch_b before including it.
void gemm_fetch (uint z, uint m0, uint n0, uint k0)
{
  uint t = gl_LocalInvocationIndex;
  for (uint i = 0; i < SA; i++) {
    uint s = t + i * THREADS;
    ra[i] = A_ALONG_K ? fetch_a (z, m0 + s / (BK / 4), k0 + s % (BK / 4) * 4)
                      : fetch_a (z, m0 + s % (BM / 4) * 4, k0 + s / (BM / 4));
  }
  for (uint i = 0; i < SB; i++) {
    uint s = t + i * THREADS;
    rb[i] = B_ALONG_K ? fetch_b (z, k0 + s % (BK / 4) * 4, n0 + s / (BK / 4))
                      : fetch_b (z, k0 + s / (BN / 4), n0 + s % (BN / 4) * 4);
  }
}
