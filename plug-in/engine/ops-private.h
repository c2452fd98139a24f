/* ops-private.h: what the operator files (ops.c, ops-gemm.c) share: error
 * messages, operand type checks, variant choice and dispatch.  Internal to
 * the engine. */
#pragma once

#include "ops.h"

G_BEGIN_DECLS

/* Sets an SE_GPU_ERROR_INVALID "op: message" and returns FALSE. */
gboolean se_ops_invalid (GError **error, const char *op, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* Parameters (biases, norm weights, timesteps) are fp32. */
gboolean se_ops_all_f32 (const char *op, GError **error, const SeTensor *t0, const SeTensor *t1,
                         const SeTensor *t2, const SeTensor *t3);
/* An operator's activations (inputs, output, residual; NULL ones skipped)
 * share one type, fp32 or fp16 (SE_PRECISION); *f16 says which. */
gboolean se_ops_activations (const char *op, GError **error, gboolean *f16, const SeTensor *t0,
                             const SeTensor *t1, const SeTensor *t2, const SeTensor *t3);
gboolean se_ops_same_shape (const SeTensor *a, const SeTensor *b);
/* "x [1, 2], out [2, 2]" for messages */
char    *se_ops_shapes (const char *na, const SeTensor *a, const char *nb, const SeTensor *b);
/* Records a dispatch of the pipeline for (shader, spec constants). */
gboolean se_ops_dispatch (SeGpu *gpu, SeShaderId id, const guint32 *spec, guint n_spec,
                          const SeBinding *b, guint nb, const void *push, gsize push_size,
                          guint32 gx, guint32 gy, guint32 gz, GError **error);
/* A 1-D range of n items, workgroup wg, spread over a 2-D grid. */
gboolean se_ops_dispatch_1d (SeGpu *gpu, SeShaderId id, const SeBinding *b, guint nb,
                             const void *push, gsize push_size, gsize items, guint wg, GError **error);
/* Subgroup kernels load vec4s: bindings at 16-byte boundaries (NULL: yes). */
gboolean se_ops_vec4_aligned (const SeTensor *t);

/* Variant k of a shader family: flag bits in the order shaders/meson.build
 * lists them. */
#define VARIANT(family, bits) ((SeShaderId) ((family) + (bits)))
#define BIND_R(t) { &(t)->alloc, FALSE }
#define BIND_W(t) { &(t)->alloc, TRUE }
/* A subgroup kernel's workgroup is one subgroup. */
#define SG(gpu) ((gpu)->info.subgroup_size)
#define ELEMENTWISE_WG 256
/* The COOPMAT family is the TILED one with GEMMs on cooperative matrices. */
#define TILED_KERNELS(gpu) ((gpu)->kernels == SE_KERNELS_TILED || (gpu)->kernels == SE_KERNELS_COOPMAT)

/* Lanes of a coopmat kernel's warp: the subgroup with real matrices, 32
 * emulated (CM_LANES, shaders/coopmat/coopmat.glsl). */
guint32 se_coopmat_lanes (SeGpu *gpu);

G_END_DECLS
