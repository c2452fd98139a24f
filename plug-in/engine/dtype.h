/* dtype.h: the element types safetensors files carry, and conversion to fp32. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SE_DTYPE_F64, SE_DTYPE_F32, SE_DTYPE_F16, SE_DTYPE_BF16,
  SE_DTYPE_I64, SE_DTYPE_I32, SE_DTYPE_I16, SE_DTYPE_I8, SE_DTYPE_U8, SE_DTYPE_BOOL,
} SeDType;

gboolean    se_dtype_from_name (const char *name, SeDType *out);
const char *se_dtype_name (SeDType dtype);
gsize       se_dtype_size (SeDType dtype);
gboolean    se_dtype_is_float (SeDType dtype);

float   se_half_to_float (guint16 h);
guint16 se_float_to_half (float f);     /* round to nearest even */
float   se_bf16_to_float (guint16 b);

/* Converts n elements (possibly unaligned, little-endian) to float. */
void se_dtype_to_f32 (SeDType dtype, const void *src, float *dst, gsize n);

G_END_DECLS
