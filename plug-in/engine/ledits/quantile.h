/* quantile.h: torch.quantile on the host, in double precision (LEDITS++'
 * masks; the reference for SEGA's thresholds on the device). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The pth quantile of v[0..n) with linear interpolation (torch.quantile);
 * scratch holds n doubles. */
double se_quantile (const double *v, gsize n, double p, double *scratch);

G_END_DECLS
