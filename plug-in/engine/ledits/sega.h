/* sega.h: the guidance of one LEDITS edit step: classifier-free guidance on
 * the target prompt plus SEGA semantic guidance per concept, with warm-up,
 * cool-down, thresholding, weights and momentum, exactly as the reference
 * README writes out diffusers' logic (quirks included).  Host-side, in
 * double precision. */
#pragma once

#include "recipe.h"

G_BEGIN_DECLS

/* The pth quantile of v[0..n) with linear interpolation (torch.quantile);
 * scratch holds n doubles. */
double se_quantile (const double *v, gsize n, double p, double *scratch);

/* eps: (2 + concepts) predictions of n values each (unconditional, target,
 * concept 1..C); the latent has `channels` channels of n / channels
 * positions.  momentum (n values, zero at the first step) is updated.
 * Writes the guided prediction e = e_u + guidance to e. */
void se_sega_step (const SeRecipe *r, guint step, const double *eps, gsize n, guint channels,
                   double *momentum, double *e);

G_END_DECLS
