// conv2d_io.glsl: what the fast convolution kernels (conv2d_tiled.comp,
// conv2d_coopmat.comp) share around their GEMM core: conv2d.comp's
// bindings, push constants and math as an implicit GEMM (rows are output
// channels, columns output pixels of batch element z, K runs over
// (c, ky, kx)), the four-element loads, and the epilogue.  Included after
// the core.
//
// layout:   the weight unpacked ([.., KH, KW], so a row's K is contiguous)
//           with its row length, offset and K multiples of 4 (the host
//           checks): weights load four at a time along K, patches gather
//           four neighbouring output pixels.
//
// GroupNorm fused on both sides (fewer dispatches):
//   producer (p.stats_groups != 0): gathers the statistics of its output
//           for GroupNorm with that many groups, as a two-pass GroupNorm
//           would, in three levels: each workgroup the (mean, M2) of each
//           of its rows (output channels) over its columns, a subgroup per
//           row reading them back coalesced; the last workgroup of each
//           row of blocks (a counter per row of blocks) those rows' over
//           every column (Chan's pairwise formula, no sums of squares);
//           the last of those (one more counter) each group's from its
//           channels'.  Each counter is reset by the workgroup that saw it
//           full.  The statistics buffer (floats): per (z, group) (mean,
//           var), then per (z, channel), then the rows' partials per (z,
//           column block, channel).
//   consumer (p.norm != 0): its input is the raw map; each value loaded is
//           normalized with its group's statistics (such a buffer), gamma
//           and beta, then SiLU when p.norm is 2.  Padding stays zero, as
//           around a normalized map.
// The includer defines CONV_LAST, a shared float its GEMM core no longer
// needs in the epilogue (it flags the workgroup that finished last).
#include "packed.glsl"
#include "common.glsl"
#extension GL_KHR_shader_subgroup_arithmetic : require

layout (std430, binding = 0) readonly buffer BufIn { ACT inp[]; };
#ifdef W_F16
layout (std430, binding = 1) readonly buffer BufW { uvec2 w4[]; };
#define LOAD_W(i) se_unpack4 (w4[i])
#else
layout (std430, binding = 1) readonly buffer BufW { vec4 w4[]; };
#define LOAD_W(i) w4[i]
#endif
layout (std430, binding = 2) readonly buffer BufBias { float bias[]; };
layout (std430, binding = 3) readonly buffer BufRes { ACT res[]; };
// read back by the producer's statistics (coherent: within the workgroup)
layout (std430, binding = 4) coherent buffer BufOut { ACT outp[]; };
layout (std430, binding = 5) coherent buffer BufStats { float stats[]; };
layout (std430, binding = 6) coherent buffer BufCounters { uint counters[]; };
layout (std430, binding = 7) readonly buffer BufGamma { float gamma[]; };
layout (std430, binding = 8) readonly buffer BufBeta { float beta[]; };
layout (std430, binding = 9) readonly buffer BufNormStats { float norm_stats[]; };

layout (push_constant) uniform Push {
  uint cin, h, w, cout, oh, ow;
  uint kh, kw, stride, pad;
  uint bias_mode, bias_off, bias_stride;
  uint w_row, w_off, w_c, w_ky, residual;
  uint up;              // 1: the input is read upsampled 2x (nearest), h x w its stored size
  uint stats_groups;    // producer: groups of the output's statistics, 0 none
  uint norm;            // consumer: 1 normalize the input, 2 and SiLU, 0 neither
  uint norm_groups;
  float norm_eps;
} p;


vec4 fetch_a (uint z, uint m, uint k)
{
  if (m >= p.cout || k >= p.cin * p.kh * p.kw)
    return vec4 (0.0);
  return LOAD_W ((p.w_off + m * p.w_row + k) / 4);
}

vec4 fetch_b (uint z, uint k, uint n)
{
  vec4 v = vec4 (0.0);
  uint ksize = p.kh * p.kw;
  if (k >= p.cin * ksize)
    return v;
  uint ci = k / ksize, r = k % ksize;
  uint ky = r / p.kw, kx = r % p.kw;
  uint base = (z * p.cin + ci) * p.h;
  float na = 1.0, nb = 0.0;
  if (p.norm != 0) {
    uint s = 2 * (z * p.norm_groups + ci / (p.cin / p.norm_groups));
    na = gamma[ci] * inversesqrt (norm_stats[s + 1] + p.norm_eps);
    nb = beta[ci] - norm_stats[s] * na;
  }
  for (uint c = 0; c < 4; c++) {
    uint gn = n + c;
    if (gn >= p.oh * p.ow)
      break;
    int iy = int ((gn / p.ow) * p.stride + ky) - int (p.pad);
    int ix = int ((gn % p.ow) * p.stride + kx) - int (p.pad);
    if (iy >= 0 && iy < int (p.h << p.up) && ix >= 0 && ix < int (p.w << p.up)) {
      float x = float (inp[(base + (uint (iy) >> p.up)) * p.w + (uint (ix) >> p.up)]);
      if (p.norm != 0) {
        x = x * na + nb;
        if (p.norm == 2)
          x = se_silu (x);
      }
      v[c] = x;
    }
  }
  return v;
}

// Stores output channel m, pixel n of batch element z from its sum.
void conv_store (uint z, uint m, uint n, float v)
{
  uint P = p.oh * p.ow;
  if (m >= p.cout || n >= P)
    return;
  if (p.bias_mode != 0)
    v += bias[p.bias_off + z * p.bias_stride + m];
  uint o = (z * p.cout + m) * P + n;
  if (p.residual != 0)
    v += float (res[o]);
  outp[o] = ACT (v);
}

// The producer's statistics (see the top), after the workgroup stored its
// block of BM rows from m0 and BN columns from n0.
void conv_stats (uint z, uint m0, uint n0)
{
  if (p.stats_groups == 0)
    return;
  uint P = p.oh * p.ow, T = gl_NumWorkGroups.x, Y = gl_NumWorkGroups.y, B = gl_NumWorkGroups.z;
  uint G = p.stats_groups, t = gl_LocalInvocationIndex;
  uint chans = 2 * B * G, parts = chans + 2 * B * p.cout;
  memoryBarrierBuffer ();
  barrier ();
  uint cols = min (BN, P - n0), sg = gl_SubgroupSize, lane = gl_SubgroupInvocationID;
  for (uint r = gl_SubgroupID; r < BM && m0 + r < p.cout; r += gl_NumSubgroups) {
    uint o = (z * p.cout + m0 + r) * P + n0;
    float sum = 0.0;
    for (uint j = lane; j < cols; j += sg)
      sum += float (outp[o + j]);
    float mean = subgroupAdd (sum) / float (cols), m2 = 0.0;
    for (uint j = lane; j < cols; j += sg) {
      float d = float (outp[o + j]) - mean;
      m2 += d * d;
    }
    m2 = subgroupAdd (m2);
    if (subgroupElect ()) {
      uint q = parts + 2 * ((z * T + gl_WorkGroupID.x) * p.cout + m0 + r);
      stats[q] = mean;
      stats[q + 1] = m2;
    }
  }

  // the row of blocks' last workgroup: its channels over every column
  uint row = 1 + z * Y + gl_WorkGroupID.y;
  memoryBarrierBuffer ();
  barrier ();
  if (t == 0)
    CONV_LAST = atomicAdd (counters[row], 1) == T - 1 ? 1.0 : 0.0;
  barrier ();
  if (CONV_LAST == 0.0)
    return;
  memoryBarrierBuffer ();
  for (uint r = t; r < BM && m0 + r < p.cout; r += THREADS) {
    float n = 0.0, mean = 0.0, m2 = 0.0;
    for (uint i = 0; i < T; i++) {
      uint q = parts + 2 * ((z * T + i) * p.cout + m0 + r);
      float nb = float (min (BN, P - i * BN)), delta = stats[q] - mean;
      mean += delta * nb / (n + nb);
      m2 += stats[q + 1] + delta * delta * n * nb / (n + nb);
      n += nb;
    }
    stats[chans + 2 * (z * p.cout + m0 + r)] = mean;
    stats[chans + 2 * (z * p.cout + m0 + r) + 1] = m2 / float (P);
  }
  if (t == 0)
    counters[row] = 0;

  // the last of those: each group from its channels (equal counts)
  memoryBarrierBuffer ();
  barrier ();
  if (t == 0)
    CONV_LAST = atomicAdd (counters[0], 1) == Y * B - 1 ? 1.0 : 0.0;
  barrier ();
  if (CONV_LAST == 0.0)
    return;
  memoryBarrierBuffer ();
  uint cpg = p.cout / G;
  for (uint zg = t; zg < B * G; zg += THREADS) {
    uint c0 = chans + 2 * zg * cpg;     // channel (z, g cpg): z cout + g cpg = zg cpg
    float mean = 0.0, var = 0.0;
    for (uint c = 0; c < cpg; c++)
      mean += stats[c0 + 2 * c];
    mean /= float (cpg);
    for (uint c = 0; c < cpg; c++) {
      float d = stats[c0 + 2 * c] - mean;
      var += stats[c0 + 2 * c + 1] + d * d;
    }
    stats[2 * zg] = mean;
    stats[2 * zg + 1] = var / float (cpg);
  }
  if (t == 0)
    counters[0] = 0;
}
