/* safetensors.h: a memory-mapped, validated reader for .safetensors files.
 *
 * se_safetensors_open() maps the file and checks the whole header before
 * anything is read: its length, the JSON, every entry's dtype, shape and
 * data offsets (inside the data, aligned to the element size, sized exactly
 * for the shape, not overlapping another tensor).  A file that fails any check
 * is refused with a message naming the file and the problem; after a
 * successful open every read is in bounds.  The object is immutable and may
 * be read from several threads. */
#pragma once

#include "dtype.h"
#include "tensor.h"

G_BEGIN_DECLS

#define SE_WEIGHTS_ERROR (se_weights_error_quark ())
GQuark se_weights_error_quark (void);

typedef enum {
  SE_WEIGHTS_ERROR_IO,          /* cannot open or map */
  SE_WEIGHTS_ERROR_FORMAT,      /* header or layout is invalid */
  SE_WEIGHTS_ERROR_MISSING,     /* a tensor that was asked for is absent */
  SE_WEIGHTS_ERROR_TYPE,        /* a tensor has the wrong dtype or shape for the use */
} SeWeightsError;

#define SE_SAFETENSORS_MAX_DIMS 8
#define SE_SAFETENSORS_MAX_HEADER ((guint64) 100 << 20)

typedef struct {
  char *name;
  SeDType dtype;
  guint ndim;
  gint64 shape[SE_SAFETENSORS_MAX_DIMS];
  gsize numel;
  guint64 begin, end;           /* byte offsets within the data section */
} SeSafeTensor;

typedef struct _SeSafetensors SeSafetensors;

SeSafetensors *se_safetensors_open (const char *path, GError **error);
void           se_safetensors_free (SeSafetensors *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeSafetensors, se_safetensors_free)

const char         *se_safetensors_path (const SeSafetensors *file);
/* Tensors sorted by name. */
guint               se_safetensors_count (const SeSafetensors *file);
const SeSafeTensor *se_safetensors_nth (const SeSafetensors *file, guint index);
const SeSafeTensor *se_safetensors_find (const SeSafetensors *file, const char *name);
/* A "__metadata__" string, or NULL. */
const char         *se_safetensors_metadata (const SeSafetensors *file, const char *key);

/* Raw bytes of a tensor inside the mapping (possibly unaligned). */
const void *se_safetensors_data (const SeSafetensors *file, const SeSafeTensor *t);

/* Looks a tensor up by name; a missing one is an error naming file and tensor. */
const SeSafeTensor *se_safetensors_get (const SeSafetensors *file, const char *name, GError **error);
/* Any numeric tensor converted to numel floats. */
void     se_safetensors_read_f32 (const SeSafetensors *file, const SeSafeTensor *t, float *out);
/* Integer tensors (I64, I32, I16, I8, U8, BOOL) as gint64. */
gboolean se_safetensors_read_i64 (const SeSafetensors *file, const SeSafeTensor *t,
                                  gint64 *out, GError **error);
/* A float tensor converted to dtype (F32 or F16) on the device. */
SeTensor *se_safetensors_upload (const SeSafetensors *file, const SeSafeTensor *t,
                                 SeGpu *gpu, SeDType dtype, GError **error);

G_END_DECLS
