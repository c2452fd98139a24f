/* latent-preview.c: a linear stand-in for the VAE decoder, fitted against the
 * model's own VAE, for previews of edits while they run. */
#include "latent-preview.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "session-private.h"

#define FIT_SIZE 128
#define MAX_IN 8

gboolean
se_fit_affine (const double *x, guint in, const double *y, guint out, gsize n, double *coef)
{
  g_return_val_if_fail (in <= MAX_IN, FALSE);
  guint m = in + 1;
  if (n < m)
    return FALSE;
  /* normal equations A c = b per output, A = sum (x,1)(x,1)^T */
  double A[MAX_IN + 1][MAX_IN + 1] = { { 0 } };
  g_autofree double *B = g_new0 (double, (gsize) m * out);
  double f[MAX_IN + 1];
  for (gsize s = 0; s < n; s++) {
    memcpy (f, x + s * in, in * sizeof (double));
    f[in] = 1.0;
    for (guint i = 0; i < m; i++) {
      for (guint j = 0; j < m; j++)
        A[i][j] += f[i] * f[j];
      for (guint o = 0; o < out; o++)
        B[i * out + o] += f[i] * y[s * out + o];
    }
  }
  /* Gaussian elimination with partial pivoting, all outputs at once */
  double scale = 0;
  for (guint i = 0; i < m; i++)
    scale = MAX (scale, fabs (A[i][i]));
  for (guint k = 0; k < m; k++) {
    guint p = k;
    for (guint i = k + 1; i < m; i++)
      if (fabs (A[i][k]) > fabs (A[p][k]))
        p = i;
    if (fabs (A[p][k]) <= 1e-12 * scale)
      return FALSE;
    for (guint j = 0; j < m; j++) {
      double t = A[k][j]; A[k][j] = A[p][j]; A[p][j] = t;
    }
    for (guint o = 0; o < out; o++) {
      double t = B[k * out + o]; B[k * out + o] = B[p * out + o]; B[p * out + o] = t;
    }
    for (guint i = k + 1; i < m; i++) {
      double r = A[i][k] / A[k][k];
      for (guint j = k; j < m; j++)
        A[i][j] -= r * A[k][j];
      for (guint o = 0; o < out; o++)
        B[i * out + o] -= r * B[k * out + o];
    }
  }
  for (guint o = 0; o < out; o++)
    for (guint k = m; k-- > 0;) {
      double v = B[k * out + o];
      for (guint j = k + 1; j < m; j++)
        v -= A[k][j] * coef[o * m + j];
      coef[o * m + k] = v / A[k][k];
    }
  return TRUE;
}

void
se_latent_preview_default (double map[3][5])
{
  /* rough RGB response of SD 1.x's 4 latent channels (scaled latents) */
  static const double d[3][5] = {
    { 0.298, 0.187, -0.158, -0.184, 0.0 },
    { 0.207, 0.286, 0.189, -0.271, 0.0 },
    { 0.208, 0.173, 0.264, -0.473, 0.0 },
  };
  memcpy (map, d, sizeof d);
}

/* A chart of hues across, from dark to light and grey to saturated down. */
static SeImage
colour_chart (void)
{
  guint w = FIT_SIZE, h = FIT_SIZE;
  SeImage img = { w, h, g_new (float, 3 * w * h) };
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      double hue = 6.0 * x / w, v = (y + 0.5) / h, sat = fmod (4.0 * v, 1.0);
      for (guint c = 0; c < 3; c++) {
        double k = fmod (hue + 4.0 - 2.0 * c, 6.0);
        double pure = 1.0 - CLAMP (MIN (k, 4.0 - k), 0.0, 1.0);   /* hue ramp of channel c */
        double rgb = v * (1.0 - sat + sat * pure);
        img.data[(c * h + y) * w + x] = (float) (2.0 * rgb - 1.0);
      }
    }
  return img;
}

gboolean
se_model_fit_latent_preview (SeModel *m, GError **error)
{
  guint mult = se_model_size_multiple (m);
  guint side = MAX (FIT_SIZE / mult, 1u) * mult;
  SeImage chart = colour_chart ();
  if (side != FIT_SIZE) {
    SeImage r = se_image_resize (&chart, side, side, error);
    g_free (chart.data);
    chart = r;
    if (chart.data == NULL)
      return FALSE;
  }
  g_autofree float *chart_data = chart.data;
  g_autoptr (SeSession) s = se_session_new (m, &chart, error);
  if (s == NULL)
    return FALSE;
  SeImage decoded;
  if (!se_session_decode_latent (s, se_session_x0 (s), &decoded, error))
    return FALSE;
  g_autofree float *dec = decoded.data;
  guint lw = side / 8, lh = side / 8, L = (guint) (se_session_latent_size (s) / ((gsize) lw * lh));
  if (L != 4) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 _("the latent preview needs 4 latent channels; the model has %u"), L);
    return FALSE;
  }
  gsize n = (gsize) lw * lh;
  g_autofree double *x = g_new (double, 4 * n), *y = g_new0 (double, 3 * n);
  const double *x0 = se_session_x0 (s);
  for (gsize p = 0; p < n; p++) {
    guint ly = (guint) (p / lw), lx = (guint) (p % lw);
    for (guint c = 0; c < 4; c++)
      x[p * 4 + c] = x0[c * n + p];
    /* the decoded 8 x 8 block's mean colour */
    for (guint c = 0; c < 3; c++) {
      double sum = 0;
      for (guint dy = 0; dy < 8; dy++)
        for (guint dx = 0; dx < 8; dx++)
          sum += dec[((gsize) c * side + ly * 8 + dy) * side + lx * 8 + dx];
      y[p * 3 + c] = sum / 64.0;
    }
  }
  double coef[3][5];
  if (!se_fit_affine (x, 4, y, 3, n, &coef[0][0])) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 _("the model's latents of a colour chart do not determine a preview map"));
    return FALSE;
  }
  memcpy (m->preview_map, coef, sizeof coef);
  return TRUE;
}

void
se_model_latent_preview (const SeModel *m, const double *latent, guint lw, guint lh, float *rgb)
{
  gsize n = (gsize) lw * lh;
  for (guint c = 0; c < 3; c++) {
    const double *k = m->preview_map[c];
    for (gsize p = 0; p < n; p++) {
      double v = k[4];
      for (guint l = 0; l < 4; l++)
        v += k[l] * latent[l * n + p];
      rgb[c * n + p] = (float) CLAMP (v, -1.0, 1.0);
    }
  }
}
