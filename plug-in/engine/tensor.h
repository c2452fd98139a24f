/* tensor.h: a shape and a range of device memory.
 *
 * Tensors are row-major with up to 4 dimensions (NCHW for images).  Values
 * are fp32 or fp16 (SE_DTYPE_F16: consecutive halves, two per 32-bit word):
 * activations as the device's precision says, weight matrices and kernels
 * as the loader chose, parameters (biases, norms, timesteps) fp32.  A tensor
 * owns its device range; se_tensor_free() returns it to the allocator.  The
 * caller keeps a tensor alive until the work recorded on it was submitted. */
#pragma once

#include "dtype.h"
#include "gpu/commands.h"

G_BEGIN_DECLS

#define SE_MAX_DIMS 4

typedef struct _SeTensor SeTensor;
struct _SeTensor {
  SeGpu *gpu;
  SeAlloc alloc;
  SeDType dtype;        /* SE_DTYPE_F32 or SE_DTYPE_F16 */
  gboolean view;        /* a range of another tensor's memory, not owned */
  guint ndim;
  gint64 shape[SE_MAX_DIMS];
  gsize numel;
  gboolean packed_3x3;  /* a 3x3 kernel stored [O, C, 3, 4] (se_tensor_new_packed_3x3) */
  /* a map's GroupNorm statistics for group_stats_groups groups, gathered
   * by the convolution that wrote it (ops.h, SeConvPart), owned; or NULL */
  SeTensor *group_stats;
  guint group_stats_groups;
};

/* An activation tensor: fp16 or fp32 by the device's precision (device.h). */
SeTensor *se_tensor_new (SeGpu *gpu, guint ndim, const gint64 *shape, GError **error);
SeTensor *se_tensor_new_typed (SeGpu *gpu, SeDType dtype, guint ndim, const gint64 *shape,
                               GError **error);
#define se_tensor_new_typed_dims(gpu, dtype, error, ...) \
  se_tensor_new_typed ((gpu), (dtype), G_N_ELEMENTS (((gint64[]) { __VA_ARGS__ })), \
                       (gint64[]) { __VA_ARGS__ }, (error))
#define se_tensor_new_dims(gpu, error, ...) \
  se_tensor_new ((gpu), G_N_ELEMENTS (((gint64[]) { __VA_ARGS__ })), \
                 (gint64[]) { __VA_ARGS__ }, (error))
/* A view of base's elements [offset, offset + prod(shape)): shares its
 * memory (freeing the view frees nothing), must not outlive it, and must
 * start at a byte offset the device can bind (storage offset alignment). */
SeTensor *se_tensor_view (const SeTensor *base, gsize offset, guint ndim, const gint64 *shape,
                          GError **error);
/* A 3x3 kernel [O, C, 3, 3] stored packed as [O, C, 3, 4], each row of
 * three padded with a zero (for the subgroup kernels' 16-byte loads),
 * padded on the host on the way up; from bytes in dtype's storage (fp32
 * floats, or fp16 halves as a file holds them) or from floats. */
SeTensor *se_tensor_new_packed_3x3 (SeGpu *gpu, SeDType dtype, gint64 O, gint64 C, const void *bytes,
                                    GError **error);
SeTensor *se_tensor_new_packed_3x3_f32 (SeGpu *gpu, SeDType dtype, gint64 O, gint64 C, const float *data,
                                        GError **error);
void      se_tensor_free (SeTensor *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeTensor, se_tensor_free)

/* Host <-> device, numel floats (converted for fp16 tensors).  Download
 * first submits pending work. */
gboolean se_tensor_upload (SeTensor *t, const float *data, GError **error);
gboolean se_tensor_download (const SeTensor *t, float *data, GError **error);
/* Uploads n floats into elements [first, first + n) of an fp32 tensor. */
gboolean se_tensor_upload_part (SeTensor *t, gsize first, const float *data, gsize n, GError **error);
/* Uploads bytes already in the tensor's storage format (size as stored). */
gboolean se_tensor_upload_raw (SeTensor *t, const void *bytes, gsize size, GError **error);

/* Replaces *x with next and frees the old tensor; FALSE (and *x kept) when
 * next is NULL, so a failing layer can be chained: replace (&h, layer (h)). */
gboolean se_tensor_replace (SeTensor **x, SeTensor *next);

/* "[2, 4, 8, 16]", for messages. */
char *se_tensor_shape_string (const SeTensor *t);

/* Product of dimensions from..ndim-1. */
gsize se_tensor_inner (const SeTensor *t, guint from);

G_END_DECLS
