/* latent-preview.h: the affine latent -> RGB map behind
 * se_model_latent_preview (engine.h), and the least-squares fit of it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Least squares: finds coef[o][0..in-1] and the offset coef[o][in] minimising
 * sum_s (y[s][o] - coef[o] . (x[s], 1))^2 over n samples, x[s] = x + s * in,
 * y[s] = y + s * out, for in <= 8.  FALSE when the samples do not determine
 * the map (fewer than in + 1 of them, or collinear). */
gboolean se_fit_affine (const double *x, guint in, const double *y, guint out, gsize n,
                        double *coef);

/* SD 1.x's VAE, approximately (used until a model's own map is fitted). */
void se_latent_preview_default (double map[3][5]);

G_END_DECLS
