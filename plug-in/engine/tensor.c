/* tensor.c: tensor allocation and host transfers. */
#include "tensor.h"

#include "fault.h"

SeTensor *
se_tensor_new (SeGpu *gpu, guint ndim, const gint64 *shape, GError **error)
{
  return se_tensor_new_typed (gpu, gpu->fp16_activations ? SE_DTYPE_F16 : SE_DTYPE_F32, ndim, shape, error);
}

static gsize
byte_size (const SeTensor *t)
{
  return t->dtype == SE_DTYPE_F16 ? (t->numel + 1) / 2 * 4 : t->numel * sizeof (float);
}

SeTensor *
se_tensor_new_typed (SeGpu *gpu, SeDType dtype, guint ndim, const gint64 *shape, GError **error)
{
  g_return_val_if_fail (ndim >= 1 && ndim <= SE_MAX_DIMS, NULL);
  g_return_val_if_fail (dtype == SE_DTYPE_F32 || dtype == SE_DTYPE_F16, NULL);
  SeTensor *t = g_new0 (SeTensor, 1);
  t->gpu = gpu;
  t->dtype = dtype;
  t->ndim = ndim;
  t->numel = 1;
  for (guint i = 0; i < ndim; i++) {
    if (shape[i] <= 0 || (guint64) shape[i] > G_MAXUINT32) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                   "tensor dimension %u is %" G_GINT64_FORMAT, i, shape[i]);
      g_free (t);
      return NULL;
    }
    t->shape[i] = shape[i];
    t->numel *= (gsize) shape[i];
  }
  if (!se_memory_alloc (gpu, byte_size (t), &t->alloc, error)) {
    g_free (t);
    return NULL;
  }
  return t;
}

SeTensor *
se_tensor_view (const SeTensor *base, gsize offset, guint ndim, const gint64 *shape, GError **error)
{
  g_return_val_if_fail (ndim >= 1 && ndim <= SE_MAX_DIMS && !base->packed_3x3, NULL);
  SeTensor *t = g_new0 (SeTensor, 1);
  *t = (SeTensor) { .gpu = base->gpu, .alloc = base->alloc, .dtype = base->dtype, .view = TRUE,
                    .ndim = ndim, .numel = 1 };
  for (guint i = 0; i < ndim; i++) {
    t->shape[i] = shape[i];
    t->numel *= (gsize) shape[i];
  }
  VkDeviceSize bytes = offset * se_dtype_size (base->dtype);
  if (offset + t->numel > base->numel || bytes % base->gpu->info.storage_offset_alignment != 0) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 "tensor view of %zu elements at %zu does not fit in %zu elements or is not "
                 "aligned to %llu bytes", t->numel, offset, base->numel,
                 (unsigned long long) base->gpu->info.storage_offset_alignment);
    g_free (t);
    return NULL;
  }
  t->alloc.offset += bytes;
  t->alloc.size = byte_size (t);
  return t;
}

SeTensor *
se_tensor_new_packed_3x3 (SeGpu *gpu, SeDType dtype, gint64 O, gint64 C, const void *bytes, GError **error)
{
  g_autoptr (SeTensor) t = se_tensor_new_typed_dims (gpu, dtype, error, O, C, 3, 4);
  if (t == NULL)
    return NULL;
  t->packed_3x3 = TRUE;
  if (!se_cmd_submit (gpu, error) ||
      !se_memory_upload_padded (gpu, &t->alloc, 0, bytes, (VkDeviceSize) (O * C * 3), se_dtype_size (dtype), 3, 4,
                                error))
    return NULL;
  return g_steal_pointer (&t);
}

SeTensor *
se_tensor_new_packed_3x3_f32 (SeGpu *gpu, SeDType dtype, gint64 O, gint64 C, const float *data, GError **error)
{
  if (dtype == SE_DTYPE_F32)
    return se_tensor_new_packed_3x3 (gpu, dtype, O, C, data, error);
  gsize n = (gsize) O * (gsize) C * 9;
  g_autofree guint16 *half = g_try_new (guint16, n);
  if (half == NULL) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY, "out of host memory packing a 3x3 kernel");
    return NULL;
  }
  for (gsize i = 0; i < n; i++)
    half[i] = se_float_to_half (data[i]);
  return se_tensor_new_packed_3x3 (gpu, dtype, O, C, half, error);
}

void
se_tensor_free (SeTensor *t)
{
  if (t == NULL)
    return;
  if (!t->view)
    se_memory_release (t->gpu, &t->alloc);
  se_tensor_free (t->group_stats);
  g_free (t);
}

gboolean
se_tensor_upload (SeTensor *t, const float *data, GError **error)
{
  /* Work already recorded may still read this tensor's old contents. */
  if (!se_cmd_submit (t->gpu, error))
    return FALSE;
  if (t->dtype == SE_DTYPE_F32)
    return se_memory_upload (t->gpu, &t->alloc, 0, data, byte_size (t), error);
  g_autofree guint16 *half = se_host_alloc0 ((t->numel + 1) / 2 * 2, sizeof (guint16), "fp16 upload", error);
  if (half == NULL)
    return FALSE;
  for (gsize i = 0; i < t->numel; i++)
    half[i] = se_float_to_half (data[i]);
  return se_memory_upload (t->gpu, &t->alloc, 0, half, byte_size (t), error);
}

gboolean
se_tensor_upload_part (SeTensor *t, gsize first, const float *data, gsize n, GError **error)
{
  g_return_val_if_fail (first + n <= t->numel && (t->dtype == SE_DTYPE_F32 || (first % 2 == 0 && n % 2 == 0)),
                        FALSE);
  if (!se_cmd_submit (t->gpu, error))
    return FALSE;
  if (t->dtype == SE_DTYPE_F32)
    return se_memory_upload (t->gpu, &t->alloc, first * sizeof (float), data, n * sizeof (float), error);
  g_autofree guint16 *half = se_host_alloc (n, sizeof (guint16), "fp16 upload", error);
  if (half == NULL)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    half[i] = se_float_to_half (data[i]);
  return se_memory_upload (t->gpu, &t->alloc, first * 2, half, n * 2, error);
}

gboolean
se_tensor_upload_raw (SeTensor *t, const void *bytes, gsize size, GError **error)
{
  g_return_val_if_fail (size <= byte_size (t), FALSE);
  return se_cmd_submit (t->gpu, error) &&
         se_memory_upload (t->gpu, &t->alloc, 0, bytes, size, error);
}

gboolean
se_tensor_download (const SeTensor *t, float *data, GError **error)
{
  if (!se_cmd_submit (t->gpu, error))
    return FALSE;
  g_autofree guint16 *half = NULL;
  void *bytes = data;
  if (t->dtype != SE_DTYPE_F32 &&
      !(bytes = half = se_host_alloc ((t->numel + 1) / 2 * 2, sizeof (guint16), "fp16 download", error)))
    return FALSE;
  if (!se_memory_download (t->gpu, &t->alloc, 0, bytes, byte_size (t), error))
    return FALSE;
  for (gsize i = 0; half && i < t->numel; i++)
    data[i] = se_half_to_float (half[i]);
  return TRUE;
}

gboolean
se_tensor_replace (SeTensor **x, SeTensor *next)
{
  if (next == NULL)
    return FALSE;
  se_tensor_free (*x);
  *x = next;
  return TRUE;
}

char *
se_tensor_shape_string (const SeTensor *t)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < t->ndim; i++)
    g_string_append_printf (s, i ? ", %" G_GINT64_FORMAT : "%" G_GINT64_FORMAT, t->shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

gsize
se_tensor_inner (const SeTensor *t, guint from)
{
  gsize n = 1;
  for (guint i = from; i < t->ndim; i++)
    n *= (gsize) t->shape[i];
  return n;
}
