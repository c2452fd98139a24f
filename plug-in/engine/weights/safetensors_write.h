/* safetensors_write.h: writing .safetensors files (F32, F16 or I64 data),
 * for --dump outputs and for building test models.  The header is padded
 * with spaces to a multiple of 8 bytes, tensors are laid out in the order
 * given, each aligned to its element size. */
#pragma once

#include "dtype.h"

G_BEGIN_DECLS

typedef struct _SeSafetensorsWriter SeSafetensorsWriter;

SeSafetensorsWriter *se_safetensors_writer_new (void);
void se_safetensors_writer_free (SeSafetensorsWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeSafetensorsWriter, se_safetensors_writer_free)

/* Adds a tensor; data holds numel values of dtype's C type (float for F32,
 * guint16 halves for F16 and BF16, gint64 for I64) and is copied. */
void se_safetensors_writer_add (SeSafetensorsWriter *w, const char *name, SeDType dtype,
                                guint ndim, const gint64 *shape, const void *data);
/* Adds float data stored as dtype (F32, F16 or BF16). */
void se_safetensors_writer_add_f32 (SeSafetensorsWriter *w, const char *name, SeDType dtype,
                                    guint ndim, const gint64 *shape, const float *data);

gboolean se_safetensors_writer_save (SeSafetensorsWriter *w, const char *path, GError **error);

G_END_DECLS
