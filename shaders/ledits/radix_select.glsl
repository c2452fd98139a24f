// radix_select.glsl: two neighbouring order statistics of `count`
// non-negative floats (they order as their bits do), by one workgroup of
// 256 threads: four passes of 8-bit digits counted in shared memory, then
// the next statistic as a count and a minimum.  The includer defines
// SELECT_BITS(q), the bits of value q.
shared uint sel_hist[256];
shared uint sel_prefix, sel_rank, sel_le, sel_above;

// the values of order lo and lo + 1 (lo's when lo is the last)
void radix_select (uint count, uint lo, out float v_lo, out float v_hi)
{
  uint tid = gl_LocalInvocationID.x;
  barrier ();             // earlier readers of the shared words are done
  if (tid == 0) {
    sel_prefix = 0u;
    sel_rank = lo;
  }
  for (int pass = 0; pass < 4; pass++) {
    uint shift = uint (24 - 8 * pass);
    uint high = pass == 0 ? 0u : ~0u << (shift + 8u);   // the digits chosen so far
    sel_hist[tid] = 0u;
    barrier ();
    uint prefix = sel_prefix;
    for (uint q = tid; q < count; q += 256u) {
      uint b = SELECT_BITS (q);
      if ((b & high) == prefix)
        atomicAdd (sel_hist[(b >> shift) & 255u], 1u);
    }
    barrier ();
    if (tid == 0) {
      uint rank = sel_rank, below = 0u, d = 0u;
      while (d < 255u && below + sel_hist[d] <= rank) {
        below += sel_hist[d];
        d++;
      }
      sel_prefix = prefix | (d << shift);
      sel_rank = rank - below;
      sel_le = 0u;
      sel_above = 0xffffffffu;
    }
    barrier ();
  }
  uint lo_bits = sel_prefix, le = 0u, above = 0xffffffffu;
  for (uint q = tid; q < count; q += 256u) {
    uint b = SELECT_BITS (q);
    if (b <= lo_bits)
      le++;
    else
      above = min (above, b);
  }
  atomicAdd (sel_le, le);
  atomicMin (sel_above, above);
  barrier ();
  // the next statistic equals lo's when more than lo + 1 values are at most it
  v_lo = uintBitsToFloat (lo_bits);
  v_hi = lo + 1u >= count || sel_le > lo + 1u ? v_lo : uintBitsToFloat (sel_above);
}

// torch.quantile's lerp between the two, from the nearer end
float quantile_lerp (float v_lo, float v_hi, float w)
{
  return w < 0.5 ? v_lo + w * (v_hi - v_lo) : v_hi - (1.0 - w) * (v_hi - v_lo);
}
