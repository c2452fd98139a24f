/* sega-reference.h: the guidance of one LEDITS edit step in double
 * precision on the host, exactly as the oracle's README writes out
 * diffusers' logic (quirks included): classifier-free guidance on the
 * target prompt plus SEGA per concept, with warm-up, cool-down,
 * thresholding, weights and momentum.  The engine ran it on the host until
 * the steps moved to the device (shaders/ledits/); now it is what the
 * device's kernels are tested against. */
#pragma once

#include "ledits/recipe.h"

/* eps: (2 + concepts) predictions of n values each (unconditional, target,
 * concept 1..C); the latent has `channels` channels of n / channels
 * positions.  momentum (n values, zero at the first step) is updated.
 * Writes the guided prediction e = e_u + guidance to e. */
void ref_sega_step (const SeRecipe *r, guint step, const double *eps, gsize n, guint channels, double *momentum,
                    double *e);
