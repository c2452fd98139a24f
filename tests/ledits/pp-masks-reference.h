/* pp-masks-reference.h: the parts of LEDITS++'s implicit concept masks
 * (../shared/reference/ledits_pp/README.md, section 3) on the host, in
 * double precision, as the engine computed them before its steps moved to
 * the device: the reference for pp_attention_sum.comp and pp_masks.comp. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* sum[q] = sum over tokens 1..ntok of maps[q][k] (token 0, BOS, left out):
 * maps holds `queries` rows of `tokens` probabilities. */
void ref_pp_attention_sum (const double *maps, guint queries, guint tokens, guint ntok, double *sum);
/* out = v (h x w) reflect-padded by one and convolved with diffusers'
 * 3x3 Gaussian (LeditsGaussianSmoothing, sigma 0.5, built in float32). */
void ref_pp_smooth (const double *v, guint h, guint w, double *out);
/* mask[i] = v[i] >= quantile(v, q) ? 1 : 0; returns the quantile.  scratch
 * holds n doubles. */
double ref_pp_threshold (const double *v, gsize n, double q, double *mask, double *scratch);
/* out (h x w) = m (h/4 x w/4) repeated 4 x 4 (nearest). */
void ref_pp_upsample4 (const double *m, guint h, guint w, double *out);
/* s[p] = sum over channels of |d[c][p]| for hw positions. */
void ref_pp_abs_channel_sum (const double *d, guint channels, gsize hw, double *s);

G_END_DECLS
