/* ops-common.c: what the operator files share (ops-private.h). */
#include "ops-private.h"

#include <string.h>

gboolean
se_ops_invalid (GError **error, const char *op, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, "%s: %s", op, msg);
  return FALSE;
}

gboolean
se_ops_all_f32 (const char *op, GError **error, const SeTensor *t0, const SeTensor *t1,
                const SeTensor *t2, const SeTensor *t3)
{
  const SeTensor *t[] = { t0, t1, t2, t3 };
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    if (t[i] && t[i]->dtype != SE_DTYPE_F32)
      return se_ops_invalid (error, op, "operand %u is %s; this operator takes fp32", i,
                             se_dtype_name (t[i]->dtype));
  return TRUE;
}

gboolean
se_ops_activations (const char *op, GError **error, gboolean *f16, const SeTensor *t0,
                    const SeTensor *t1, const SeTensor *t2, const SeTensor *t3)
{
  const SeTensor *t[] = { t0, t1, t2, t3 };
  *f16 = t0->dtype == SE_DTYPE_F16;
  for (guint i = 1; i < G_N_ELEMENTS (t); i++)
    if (t[i] && t[i]->dtype != t0->dtype)
      return se_ops_invalid (error, op, "operand %u is %s and operand 0 %s; activations share one type",
                             i, se_dtype_name (t[i]->dtype), se_dtype_name (t0->dtype));
  return TRUE;
}

gboolean
se_ops_same_shape (const SeTensor *a, const SeTensor *b)
{
  return a->ndim == b->ndim && memcmp (a->shape, b->shape, a->ndim * sizeof (gint64)) == 0;
}

char *
se_ops_shapes (const char *na, const SeTensor *a, const char *nb, const SeTensor *b)
{
  g_autofree char *sa = se_tensor_shape_string (a);
  g_autofree char *sb = se_tensor_shape_string (b);
  return g_strdup_printf ("%s %s, %s %s", na, sa, nb, sb);
}

gboolean
se_ops_dispatch (SeGpu *gpu, SeShaderId id, const guint32 *spec, guint n_spec,
                 const SeBinding *b, guint nb, const void *push, gsize push_size,
                 guint32 gx, guint32 gy, guint32 gz, GError **error)
{
  const SePipeline *p = se_pipeline_get (gpu, id, spec, n_spec, error);
  return p && se_cmd_dispatch (gpu, p, b, nb, push, push_size, gx, gy, gz, error);
}

gboolean
se_ops_dispatch_1d (SeGpu *gpu, SeShaderId id, const SeBinding *b, guint nb,
                    const void *push, gsize push_size, gsize items, guint wg, GError **error)
{
  gsize groups = (items + wg - 1) / wg;
  guint32 gx = (guint32) MIN (groups, gpu->info.max_workgroup_count[0]);
  guint32 gy = (guint32) ((groups + gx - 1) / MAX (gx, 1));
  return se_ops_dispatch (gpu, id, NULL, 0, b, nb, push, push_size, gx, gy, 1, error);
}

gboolean
se_ops_vec4_aligned (const SeTensor *t)
{
  return t == NULL || t->alloc.offset % 16 == 0;
}
