/* quantile-reference.h: torch.quantile on the host, in double precision:
 * the reference for the thresholds of SEGA and LEDITS++ the device selects
 * (shaders/ledits/radix_select.glsl). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The pth quantile of v[0..n) with linear interpolation (torch.quantile);
 * scratch holds n doubles. */
double ref_quantile (const double *v, gsize n, double p, double *scratch);

G_END_DECLS
