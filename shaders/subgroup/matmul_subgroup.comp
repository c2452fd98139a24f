#version 450
// matmul_subgroup.comp: C[z] = alpha * A[z] B[z]^T + bias + residual, batched
// over z, register-blocked across one subgroup (see subgroup.glsl).
//
// bindings: 0 A, 1 B, 2 bias, 3 residual (read; may be C itself), 4 C
// spec:     0 SG; 1 R rows of C per workgroup (a multiple of SG, and of 4*SG
//           when A_KM); 2 A_KM: A stored K x M (a [C, HW] feature map read
//           as tokens), else M x K; 3 B_KN: B stored K x N, else N x K
//           (PyTorch's Linear weight); 4 GEGLU: C[m, n] = value * GELU(gate)
//           with value column n and gate column n + N of B (B has 2N rows)
// push:     shapes, leading dimensions, batch strides and A's offset in
//           elements (all multiples of 4, like N, K, and M when A_KM); bias
//           mode (0 none, 1 per column, 2 per row), offset and batch stride;
//           residual on/off; alpha
// math:     lane l of workgroup (x, y) owns columns n = 4 (x SG + l) .. + 3 and
//           rows y R .. y R + R - 1, as R vec4 accumulators.  Per step of 4 k
//           a lane loads its own four B vectors and R / SG vectors of A;
//           every lane gets each A row from the lane that loaded it by
//           shuffle.  fp32 accumulation; the epilogue adds bias and residual
//           and writes vec4s.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "subgroup.glsl"

layout (constant_id = 1) const uint R = 8;
layout (constant_id = 2) const bool A_KM = false;
layout (constant_id = 3) const bool B_KN = false;
layout (constant_id = 4) const bool GEGLU = false;

#ifdef A_F16
layout (std430, binding = 0) readonly buffer BufA { uvec2 a4[]; };
#define LOAD_A(i) se_unpack4 (a4[i])
#else
layout (std430, binding = 0) readonly buffer BufA { vec4 a4[]; };
#define LOAD_A(i) a4[i]
#endif
#ifdef B_F16
layout (std430, binding = 1) readonly buffer BufB { uvec2 b4[]; };
#define LOAD_B(i) se_unpack4 (b4[i])
#else
layout (std430, binding = 1) readonly buffer BufB { vec4 b4[]; };
#define LOAD_B(i) b4[i]
#endif
layout (std430, binding = 2) readonly buffer BufBias { float bias[]; };
#ifdef C_F16
layout (std430, binding = 3) readonly buffer BufR { uvec2 r4[]; };
layout (std430, binding = 4) writeonly buffer BufC { uvec2 c4[]; };
#define LOAD_R(i) se_unpack4 (r4[i])
#define STORE_C(i, v) c4[i] = se_pack4 (v)
#else
layout (std430, binding = 3) readonly buffer BufR { vec4 r4[]; };
layout (std430, binding = 4) writeonly buffer BufC { vec4 c4[]; };
#define LOAD_R(i) r4[i]
#define STORE_C(i, v) c4[i] = v
#endif

// The same push constants as matmul.comp (trans_a, trans_b are ignored:
// the layouts are specialization constants here).
layout (push_constant) uniform Push {
  uint M, N, K;
  uint lda, ldb, ldc;
  uint stride_a, stride_b, stride_c;
  uint trans_a, trans_b, bias_mode;
  float alpha;
  uint off_a, bias_off, bias_stride, residual;
} p;

// Four B values of step k0 + e for this lane's columns, as columns of a 4x4
// block: col[e] = B[n .. n + 3][k0 + e].  (Loads are never conditional:
// rows and columns past the edge read clamped addresses and are not stored;
// a conditional load costs far more than that on lavapipe.)
void load_b (uint base, uint n, uint k0, out vec4 col[4])
{
  if (B_KN) {
    [[unroll]] for (uint e = 0; e < 4; e++)
      col[e] = LOAD_B ((base + (k0 + e) * p.ldb + n) / 4);
  } else {
    vec4 r0 = LOAD_B ((base + (n + 0) * p.ldb + k0) / 4);
    vec4 r1 = LOAD_B ((base + (n + 1) * p.ldb + k0) / 4);
    vec4 r2 = LOAD_B ((base + (n + 2) * p.ldb + k0) / 4);
    vec4 r3 = LOAD_B ((base + (n + 3) * p.ldb + k0) / 4);
    [[unroll]] for (uint e = 0; e < 4; e++)
      col[e] = vec4 (r0[e], r1[e], r2[e], r3[e]);
  }
}

void main ()
{
  uint lane = gl_SubgroupInvocationID;
  uint z = gl_WorkGroupID.z;
  uint n = (gl_WorkGroupID.x * SG + lane) * 4;
  uint m0 = gl_WorkGroupID.y * R;
  bool live = n < p.N;
  uint nb = min (n, p.N - 4);
  uint base_a = p.off_a + z * p.stride_a, base_b = z * p.stride_b;

  vec4 acc[R], gate[GEGLU ? R : 1];
  [[unroll]] for (uint r = 0; r < R; r++)
    acc[r] = vec4 (0.0);
  [[unroll]] for (uint r = 0; r < gate.length (); r++)
    gate[r] = vec4 (0.0);

  for (uint k0 = 0; k0 < p.K; k0 += 4) {
    vec4 col[4], gcol[4];
    load_b (base_b, nb, k0, col);
    if (GEGLU)
      load_b (base_b, nb + p.N, k0, gcol);
    if (A_KM) {
      // lane l holds rows m0 + 4 (SG i + l) .. + 3 of step k0 + e
      [[unroll]] for (uint i = 0; i < R / (4 * SG); i++) {
        uint m = min (m0 + 4 * (SG * i + lane), p.M - 4);
        vec4 av[4];
        [[unroll]] for (uint e = 0; e < 4; e++)
          av[e] = LOAD_A ((base_a + (k0 + e) * p.lda + m) / 4);
        [[unroll]] for (uint l = 0; l < SG; l++) {
          vec4 s[4];
          [[unroll]] for (uint e = 0; e < 4; e++)
            s[e] = subgroupShuffle (av[e], l);
          [[unroll]] for (uint j = 0; j < 4; j++) {
            uint r = 4 * (SG * i + l) + j;
            [[unroll]] for (uint e = 0; e < 4; e++) {
              acc[r] += s[e][j] * col[e];
              if (GEGLU)
                gate[r] += s[e][j] * gcol[e];
            }
          }
        }
      }
    } else {
      // lane l holds row m0 + SG i + l, steps k0 .. k0 + 3
      [[unroll]] for (uint i = 0; i < R / SG; i++) {
        uint m = min (m0 + SG * i + lane, p.M - 1);
        vec4 av = LOAD_A ((base_a + m * p.lda + k0) / 4);
        [[unroll]] for (uint l = 0; l < SG; l++) {
          vec4 s = subgroupShuffle (av, l);
          uint r = SG * i + l;
          acc[r] += s.x * col[0] + s.y * col[1] + s.z * col[2] + s.w * col[3];
          if (GEGLU)
            gate[r] += s.x * gcol[0] + s.y * gcol[1] + s.z * gcol[2] + s.w * gcol[3];
        }
      }
    }
  }

  if (!live)
    return;
  vec4 bias_n = vec4 (0.0), bias_g = vec4 (0.0);
  uint bb = p.bias_off + z * p.bias_stride;
  if (p.bias_mode == 1) {
    bb += n;
    bias_n = vec4 (bias[bb], bias[bb + 1], bias[bb + 2], bias[bb + 3]);
    if (GEGLU)
      bias_g = vec4 (bias[bb + p.N], bias[bb + p.N + 1], bias[bb + p.N + 2], bias[bb + p.N + 3]);
  }
  [[unroll]] for (uint r = 0; r < R; r++) {
    uint m = m0 + r;
    if (m >= p.M)
      continue;
    vec4 v = p.alpha * acc[r] + bias_n;
    if (p.bias_mode == 2)
      v += bias[bb + m];
    if (GEGLU) {
      vec4 g = p.alpha * gate[r] + bias_g;
      v *= vec4 (se_gelu (g.x), se_gelu (g.y), se_gelu (g.z), se_gelu (g.w));
    }
    uint o = (z * p.stride_c + m * p.ldc + n) / 4;
    if (p.residual != 0)
      v += LOAD_R (o);
    STORE_C (o, v);
  }
}
