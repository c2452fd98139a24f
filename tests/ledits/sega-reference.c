/* sega-reference.c: SEGA's edit step in double precision (sega-reference.h). */
#include "sega-reference.h"

#include <math.h>

#include "quantile-reference.h"

void
ref_sega_step (const SeRecipe *r, guint step, const double *eps, gsize n, guint channels, double *momentum,
               double *e)
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
        double q = ref_quantile (absd, per, k->threshold, scratch);
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
