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

/* Bit-level conversions: exact, and fast enough that loading a 2 GB fp16
 * checkpoint is bound by the disk, not by conversion. */
float
se_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);                 /* inf, NaN */
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);          /* normal */
  } else if (man == 0) {
    bits = sign;                                              /* zero */
  } else {
    int shift = 0;                                            /* subnormal: normalise */
    while ((man & 0x400) == 0) {
      man <<= 1;
      shift++;
    }
    bits = sign | ((guint32) (113 - shift) << 23) | ((man & 0x3ff) << 13);
  }
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

guint16
se_float_to_half (float f)
{
  guint32 x;
  memcpy (&x, &f, 4);
  guint16 sign = (guint16) ((x >> 16) & 0x8000);
  guint32 a = x & 0x7fffffffu;
  if (a > 0x7f800000u)
    return sign | 0x7e00;                                     /* NaN */
  if (a >= 0x477ff000u)
    return sign | 0x7c00;                                     /* rounds to inf */
  if (a < 0x38800000u) {                                      /* half subnormal or zero */
    if (a < 0x33000000u)
      return sign;                                            /* below half the smallest */
    guint32 man = (a & 0x7fffff) | 0x800000, e = a >> 23;
    guint32 shift = 126 - e;                                  /* 14..24 */
    guint32 half = man >> shift, rest = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1)))
      half++;
    return sign | (guint16) half;
  }
  /* normal: rebias, round the 13 dropped bits to nearest even */
  guint32 h = ((a >> 13) - (112u << 10));
  guint32 rest = a & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    h++;
  return sign | (guint16) h;
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
