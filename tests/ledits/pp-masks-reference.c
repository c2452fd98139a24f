/* pp-masks-reference.c: LEDITS++'s mask parts (pp-masks-reference.h). */
#include "pp-masks-reference.h"

#include <math.h>

#include "quantile-reference.h"

void
ref_pp_attention_sum (const double *maps, guint queries, guint tokens, guint ntok, double *sum)
{
  guint last = MIN (ntok, tokens - 1);
  for (guint q = 0; q < queries; q++) {
    double v = 0.0;
    for (guint k = 1; k <= last; k++)
      v += maps[(gsize) q * tokens + k];
    sum[q] = v;
  }
}

/* index i of a row or column of n reflected at its ends: -1 -> 1, n -> n - 2 */
static guint
reflect (gint i, guint n)
{
  if (n == 1)
    return 0;
  return i < 0 ? (guint) -i : i >= (gint) n ? 2 * n - 2 - (guint) i : (guint) i;
}

void
ref_pp_smooth (const double *v, guint h, guint w, double *out)
{
  /* diffusers builds the kernel in float32: exp(-((x - 1) / (2 * 0.5))^2)
   * per axis, their product, divided by its sum */
  float k1[3], k[3][3], sum = 0.0f;
  for (int i = 0; i < 3; i++)
    k1[i] = (float) exp (-(double) ((i - 1) * (i - 1)));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      sum += k[i][j] = k1[i] * k1[j];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      k[i][j] /= sum;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      double acc = 0.0;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          acc += (double) k[dy + 1][dx + 1] * v[reflect ((gint) y + dy, h) * w + reflect ((gint) x + dx, w)];
      out[y * w + x] = acc;
    }
}

double
ref_pp_threshold (const double *v, gsize n, double q, double *mask, double *scratch)
{
  double t = ref_quantile (v, n, q, scratch);
  for (gsize i = 0; i < n; i++)
    mask[i] = v[i] >= t ? 1.0 : 0.0;
  return t;
}

void
ref_pp_upsample4 (const double *m, guint h, guint w, double *out)
{
  guint aw = w / 4;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      out[y * w + x] = m[(y / 4) * aw + x / 4];
}

void
ref_pp_abs_channel_sum (const double *d, guint channels, gsize hw, double *s)
{
  for (gsize p = 0; p < hw; p++) {
    double v = 0.0;
    for (guint c = 0; c < channels; c++)
      v += fabs (d[c * hw + p]);
    s[p] = v;
  }
}
