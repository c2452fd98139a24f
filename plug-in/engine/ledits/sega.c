/* sega.c: CFG + SEGA guidance of one edit step. */
#include "sega.h"

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
se_quantile (const double *v, gsize n, double p, double *scratch)
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

void
se_sega_step (const SeRecipe *r, guint step, const double *eps, gsize n, guint channels,
              double *momentum, double *e)
{
  guint C = r->concepts->len;
  const double *eu = eps, *ep = eps + n;
  for (gsize i = 0; i < n; i++)
    e[i] = r->cfg_tar * (ep[i] - eu[i]);          /* guidance, e_u added at the end */
  if (C > 0) {
    gsize per = n / channels;
    g_autofree double *g = g_new0 (double, (gsize) C * n);
    g_autofree double *w = g_new0 (double, C);
    g_autofree gboolean *active = g_new0 (gboolean, C);
    g_autofree double *absd = g_new (double, per), *scratch = g_new (double, per);
    guint n_active = 0;
    for (guint c = 0; c < C; c++) {
      const SeConcept *k = &g_array_index (r->concepts, SeConcept, c);
      const double *ec = eps + (gsize) (2 + c) * n;
      double *gc = g + (gsize) c * n;
      if (step >= k->warmup) {
        active[c] = TRUE;
        n_active++;
      }
      if (k->cooldown >= 0 && step >= (guint) k->cooldown)
        continue;                                  /* g and w stay 0 */
      w[c] = k->weight;
      for (guint ch = 0; ch < channels; ch++) {
        gsize base = ch * per;
        for (gsize i = 0; i < per; i++) {
          double d = ec[base + i] - eu[base + i];
          gc[base + i] = k->scale * (k->reverse ? -d : d);
          absd[i] = fabs (gc[base + i]);
        }
        double q = se_quantile (absd, per, k->threshold, scratch);
        for (gsize i = 0; i < per; i++)
          if (fabs (gc[base + i]) < q)
            gc[base + i] = 0.0;
      }
    }
    if (n_active > 0 && n_active < C) {
      double sum = 0.0;
      for (guint c = 0; c < C; c++)
        sum += active[c] ? MAX (w[c], 0.0) : 0.0;
      for (guint c = 0; c < C && sum > 0.0; c++)
        if (active[c])
          for (gsize i = 0; i < n; i++)
            e[i] += MAX (w[c], 0.0) / sum * g[(gsize) c * n + i];
    }
    for (gsize i = 0; i < n; i++) {
      double edit = r->mom_scale * momentum[i];
      for (guint c = 0; c < C; c++)
        edit += MAX (w[c], 0.0) * g[(gsize) c * n + i];
      momentum[i] = r->mom_beta * momentum[i] + (1.0 - r->mom_beta) * edit;
      if (n_active == C)
        e[i] += edit;
    }
  }
  for (gsize i = 0; i < n; i++)
    e[i] += eu[i];
}
