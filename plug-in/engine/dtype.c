/* dtype.c: element sizes, names and conversion to fp32. */
#include "dtype.h"

#include <math.h>
#include <string.h>

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "safetensors data is little-endian; conversion here assumes a little-endian host"
#endif

static const struct {
  const char *name;
  gsize size;
} types[] = {
  [SE_DTYPE_F64] = { "F64", 8 },  [SE_DTYPE_F32] = { "F32", 4 },
  [SE_DTYPE_F16] = { "F16", 2 },  [SE_DTYPE_BF16] = { "BF16", 2 },
  [SE_DTYPE_I64] = { "I64", 8 },  [SE_DTYPE_I32] = { "I32", 4 },
  [SE_DTYPE_I16] = { "I16", 2 },  [SE_DTYPE_I8] = { "I8", 1 },
  [SE_DTYPE_U8] = { "U8", 1 },    [SE_DTYPE_BOOL] = { "BOOL", 1 },
};

gboolean
se_dtype_from_name (const char *name, SeDType *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (types[i].name, name) == 0) {
      *out = (SeDType) i;
      return TRUE;
    }
  return FALSE;
}

const char *se_dtype_name (SeDType d) { return types[d].name; }
gsize se_dtype_size (SeDType d) { return types[d].size; }

gboolean
se_dtype_is_float (SeDType d)
{
  return d == SE_DTYPE_F64 || d == SE_DTYPE_F32 || d == SE_DTYPE_F16 || d == SE_DTYPE_BF16;
}

float
se_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h >> 15) << 31;
  guint32 exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float f;
  if (exp == 0)
    f = ldexpf ((float) man, -24);                      /* zero and subnormals */
  else if (exp == 31)
    f = man ? NAN : INFINITY;
  else
    f = ldexpf ((float) (man | 0x400), (int) exp - 25);
  return sign ? -f : f;
}

guint16
se_float_to_half (float f)
{
  guint32 x;
  memcpy (&x, &f, 4);
  guint16 sign = (guint16) ((x >> 16) & 0x8000);
  float a = fabsf (f);
  if (isnan (f))
    return sign | 0x7e00;
  if (a >= 65520.0f)
    return sign | 0x7c00;
  if (a < ldexpf (1.0f, -14)) {                          /* subnormal half */
    return sign | (guint16) lrintf (a * ldexpf (1.0f, 24));
  }
  int e;
  float m = frexpf (a, &e);                              /* a = m 2^e, m in [0.5, 1) */
  guint32 bits = (guint32) lrintf (m * 2048.0f);         /* 11 significant bits, RNE */
  if (bits == 2048) {
    bits = 1024;
    e++;
  }
  if (e + 14 >= 31)
    return sign | 0x7c00;
  return sign | (guint16) ((guint32) (e + 14) << 10) | (guint16) (bits & 0x3ff);
}

float
se_bf16_to_float (guint16 b)
{
  guint32 x = (guint32) b << 16;
  float f;
  memcpy (&f, &x, 4);
  return f;
}

void
se_dtype_to_f32 (SeDType d, const void *src, float *dst, gsize n)
{
  const guint8 *s = src;
  for (gsize i = 0; i < n; i++) {
    const guint8 *e = s + i * types[d].size;
    switch (d) {
    case SE_DTYPE_F64: { double v; memcpy (&v, e, 8); dst[i] = (float) v; break; }
    case SE_DTYPE_F32: memcpy (&dst[i], e, 4); break;
    case SE_DTYPE_F16: { guint16 v; memcpy (&v, e, 2); dst[i] = se_half_to_float (v); break; }
    case SE_DTYPE_BF16: { guint16 v; memcpy (&v, e, 2); dst[i] = se_bf16_to_float (v); break; }
    case SE_DTYPE_I64: { gint64 v; memcpy (&v, e, 8); dst[i] = (float) v; break; }
    case SE_DTYPE_I32: { gint32 v; memcpy (&v, e, 4); dst[i] = (float) v; break; }
    case SE_DTYPE_I16: { gint16 v; memcpy (&v, e, 2); dst[i] = (float) v; break; }
    case SE_DTYPE_I8: dst[i] = (float) (gint8) *e; break;
    case SE_DTYPE_U8: dst[i] = (float) *e; break;
    case SE_DTYPE_BOOL: dst[i] = *e ? 1.0f : 0.0f; break;
    }
  }
}
