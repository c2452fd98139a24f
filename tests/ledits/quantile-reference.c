/* quantile-reference.c: torch.quantile by selection (quantile-reference.h). */
#include "quantile-reference.h"

#include <math.h>
#include <string.h>

static void
swap (double *a, double *b)
{
  double t = *a;
  *a = *b;
  *b = t;
}

/* Reorders v[0..n) so that v[k] holds the value sorting would put there,
 * with nothing larger before it and nothing smaller after it (quickselect,
 * median-of-three pivots): linear time where a sort is n log n, and a
 * SEGA step takes two quantiles per concept and latent channel. */
static void
select_kth (double *v, gsize n, gsize k)
{
  gsize lo = 0, hi = n - 1;
  while (hi > lo + 1) {
    gsize mid = lo + (hi - lo) / 2;
    /* v[lo] <= v[mid] <= v[hi]; the median goes to lo + 1 as the pivot */
    if (v[mid] < v[lo])
      swap (&v[mid], &v[lo]);
    if (v[hi] < v[lo])
      swap (&v[hi], &v[lo]);
    if (v[hi] < v[mid])
      swap (&v[hi], &v[mid]);
    swap (&v[mid], &v[lo + 1]);
    double pivot = v[lo + 1];
    gsize i = lo + 1, j = hi;
    for (;;) {
      do i++; while (v[i] < pivot);
      do j--; while (v[j] > pivot);
      if (j < i)
        break;
      swap (&v[i], &v[j]);
    }
    v[lo + 1] = v[j];
    v[j] = pivot;
    if (j >= k)
      hi = j - 1;
    if (j <= k)
      lo = i;
  }
  if (hi == lo + 1 && v[hi] < v[lo])
    swap (&v[lo], &v[hi]);
}

double
ref_quantile (const double *v, gsize n, double p, double *scratch)
{
  memcpy (scratch, v, n * sizeof (double));
  double pos = p * (double) (n - 1);
  gsize lo = (gsize) floor (pos), hi = MIN (lo + 1, n - 1);
  select_kth (scratch, n, lo);
  /* the next order statistic: the smallest of what select_kth left above */
  double above = scratch[hi];
  for (gsize i = lo + 2; i < n; i++)
    above = MIN (above, scratch[i]);
  /* torch's lerp: from the nearer end */
  double w = pos - (double) lo;
  return w < 0.5 ? scratch[lo] + w * (above - scratch[lo])
                 : above - (1.0 - w) * (above - scratch[lo]);
}
