// coopmat.glsl: 16x16 matrix tiles held by a subgroup ("warp"), the small
// interface the coopmat kernels are written against, compiled three ways
// from one source:
//   CM_NV   GL_NV_cooperative_matrix (tensor cores through NVIDIA's driver)
//   CM_KHR  GL_KHR_cooperative_matrix (where the build's glslang has it)
//   else    emulated with ordinary code, so the same tiling, indexing,
//           bounds and epilogues run on any device (lavapipe in CI)
// Operand tiles are fp16 in shared memory (float16_t arrays); products
// accumulate in fp32.
//
//   CM_A a; CM_B b; CM_ACC c;      the types (arrays of them are fine)
//   cm_zero (c)                    c = 0
//   cm_load_a (a, arr, off, ld)    A (16 x 16, M x K) row-major at arr[off]
//   cm_load_bt (b, arr, off, ld)   B (K x N) stored transposed: B[k][n] at
//                                  arr[off + n ld + k]
//   cm_load_b (b, arr, off, ld)    B row-major: B[k][n] at arr[off + k ld + n]
//   cm_mma (c, a, arr_a, b, arr_b) c += a b (arr_a, arr_b: the shared arrays
//                                  a and b were loaded from)
//   cm_store (c, arr, off, ld)     c row-major into a shared float array
//   CM_WARP, CM_LANE, CM_LANES     this invocation's warp, its lane, lanes
//                                  per warp (spec constant 1 holds CM_LANES
//                                  for the real matrices: the subgroup size)
//
// The emulation loads lazily (a tile is a view into shared memory, read by
// cm_mma), so a kernel multiplies what it loaded before the next barrier
// lets anyone overwrite it, as every kernel here does.  Its accumulator
// gives lane l the elements l + CM_LANES i of the row-major tile.
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require

#if defined (CM_NV) || defined (CM_KHR)
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
layout (constant_id = 1) const uint CM_LANES = 32;
#define CM_WARP gl_SubgroupID
#define CM_LANE gl_SubgroupInvocationID
#endif

#if defined (CM_NV)
#extension GL_NV_cooperative_matrix : require
#define CM_A fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define CM_B fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define CM_ACC fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define cm_zero(c) c = CM_ACC (0.0)
#define cm_load_a(a, arr, off, ld) coopMatLoadNV (a, arr, off, ld, false)
#define cm_load_bt(b, arr, off, ld) coopMatLoadNV (b, arr, off, ld, true)
#define cm_load_b(b, arr, off, ld) coopMatLoadNV (b, arr, off, ld, false)
#define cm_mma(c, a, arr_a, b, arr_b) c = coopMatMulAddNV (a, b, c)
#define cm_store(c, arr, off, ld) coopMatStoreNV (c, arr, off, ld, false)

#elif defined (CM_KHR)
#extension GL_KHR_cooperative_matrix : require
#define CM_A coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA>
#define CM_B coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB>
#define CM_ACC coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>
#define cm_zero(c) c = CM_ACC (0.0)
#define cm_load_a(a, arr, off, ld) coopMatLoad (a, arr, off, ld, gl_CooperativeMatrixLayoutRowMajor)
#define cm_load_bt(b, arr, off, ld) coopMatLoad (b, arr, off, ld, gl_CooperativeMatrixLayoutColumnMajor)
#define cm_load_b(b, arr, off, ld) coopMatLoad (b, arr, off, ld, gl_CooperativeMatrixLayoutRowMajor)
#define cm_mma(c, a, arr_a, b, arr_b) c = coopMatMulAdd (a, b, c)
#define cm_store(c, arr, off, ld) coopMatStore (c, arr, off, ld, gl_CooperativeMatrixLayoutRowMajor)

#else
const uint CM_LANES = 32;
const uint CM_PER_LANE = 256 / CM_LANES;
#define CM_WARP (gl_LocalInvocationIndex / CM_LANES)
#define CM_LANE (gl_LocalInvocationIndex % CM_LANES)
// element (r, c) of a tile at off + r rs + c cs of its array
struct CmView { uint off, rs, cs; };
struct CmAcc { float v[CM_PER_LANE]; };
#define CM_A CmView
#define CM_B CmView
#define CM_ACC CmAcc
#define cm_zero(c) for (uint cm_i = 0; cm_i < CM_PER_LANE; cm_i++) c.v[cm_i] = 0.0
#define cm_load_a(a, arr, off, ld) a = CmView (off, ld, 1)
#define cm_load_bt(b, arr, off, ld) b = CmView (off, 1, ld)
#define cm_load_b(b, arr, off, ld) b = CmView (off, ld, 1)
#define cm_mma(c, a, arr_a, b, arr_b)                                          \
  for (uint cm_i = 0; cm_i < CM_PER_LANE; cm_i++) {                           \
    uint cm_e = CM_LANE + CM_LANES * cm_i, cm_r = cm_e / 16, cm_c = cm_e % 16; \
    float cm_s = c.v[cm_i];                                                   \
    for (uint cm_k = 0; cm_k < 16; cm_k++)                                    \
      cm_s = fma (float (arr_a[a.off + cm_r * a.rs + cm_k * a.cs]),            \
                  float (arr_b[b.off + cm_k * b.rs + cm_c * b.cs]), cm_s);     \
    c.v[cm_i] = cm_s;                                                         \
  }
#define cm_store(c, arr, off, ld)                                             \
  for (uint cm_i = 0; cm_i < CM_PER_LANE; cm_i++) {                           \
    uint cm_e = CM_LANE + CM_LANES * cm_i;                                    \
    arr[off + cm_e / 16 * ld + cm_e % 16] = c.v[cm_i];                        \
  }
#endif
