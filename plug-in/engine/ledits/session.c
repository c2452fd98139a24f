/* session.c: encode once, invert once, edit many times (engine.h). */
#include "session-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ledits/rng.h"
#include "ledits/sega.h"

struct _SeSession {
  SeModel *model;
  guint width, height, lh, lw;
  gsize n;                      /* latent size: 4 * lh * lw */
  double *x0;
  GHashTable *embeddings;       /* prompt -> float [positions * context] */
  /* the inversion */
  SeSchedule *schedule;         /* NULL until inverted */
  char *src;
  double cfg_src;
  double *xts, *zs;
  /* the last edit */
  double *latent, *trace;
  guint trace_len;
};

static gboolean
cancelled (GCancellable *cancel, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancel, error);
}

SeSession *
se_session_new (SeModel *model, const SeImage *image, GError **error)
{
  guint mult = se_model_size_multiple (model);
  if (image->width == 0 || image->height == 0 || image->width % mult || image->height % mult) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 _("the image is %u x %u; its sides must be positive multiples of %u"),
                 image->width, image->height, mult);
    return NULL;
  }
  SeGpu *gpu = model->gpu;
  g_autoptr (SeTensor) img = se_tensor_new_dims (gpu, error, 1, 3, image->height, image->width);
  if (img == NULL || !se_tensor_upload (img, image->data, error))
    return NULL;
  g_autoptr (SeTensor) moments = se_vae_encode (model->vae, img, error);
  if (moments == NULL)
    return NULL;
  g_autofree float *m = g_new (float, moments->numel);
  if (!se_tensor_download (moments, m, error))
    return NULL;

  SeSession *s = g_new0 (SeSession, 1);
  s->model = model;
  s->width = image->width;
  s->height = image->height;
  s->lh = image->height / 8;
  s->lw = image->width / 8;
  guint L = model->files->vae.latent_channels;
  s->n = (gsize) L * s->lh * s->lw;
  s->x0 = g_new (double, s->n);
  /* the posterior's mode (its mean), scaled for the diffusion model */
  for (gsize i = 0; i < s->n; i++)
    s->x0[i] = (double) m[i] * model->files->vae.scaling;
  s->embeddings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return s;
}

static void
clear_inversion (SeSession *s)
{
  g_clear_pointer (&s->schedule, se_schedule_free);
  g_clear_pointer (&s->src, g_free);
  g_clear_pointer (&s->xts, g_free);
  g_clear_pointer (&s->zs, g_free);
}

void
se_session_free (SeSession *s)
{
  if (s == NULL)
    return;
  clear_inversion (s);
  g_hash_table_unref (s->embeddings);
  g_free (s->x0);
  g_free (s->latent);
  g_free (s->trace);
  g_free (s);
}

/* The text encoder's last hidden state for prompt, cached per session. */
static const float *
embedding (SeSession *s, const char *prompt, GError **error)
{
  float *e = g_hash_table_lookup (s->embeddings, prompt);
  if (e)
    return e;
  SeModel *m = s->model;
  guint P = m->files->clip.positions;
  g_autofree gint32 *ids = g_new (gint32, P);
  se_tokenizer_encode (m->tokenizer, prompt, ids, P);
  g_autoptr (SeTensor) h = se_clip_forward (m->clip, ids, 1, NULL, error);
  if (h == NULL)
    return NULL;
  e = g_new (float, h->numel);
  if (!se_tensor_download (h, e, error)) {
    g_free (e);
    return NULL;
  }
  g_hash_table_insert (s->embeddings, g_strdup (prompt), e);
  return e;
}

/* One UNet evaluation of latent x at timestep t for each context: writes
 * batch predictions of n values to eps. */
static gboolean
predict (SeSession *s, const double *x, guint t, const float *const *contexts, guint batch,
         double *eps, GError **error)
{
  SeModel *m = s->model;
  SeGpu *gpu = m->gpu;
  gsize ctx = (gsize) m->files->clip.positions * m->files->unet.context_dim;
  g_autofree float *xf = g_new (float, batch * s->n);
  g_autofree float *cf = g_new (float, batch * ctx);
  g_autofree float *ts = g_new (float, batch);
  for (guint b = 0; b < batch; b++) {
    for (gsize i = 0; i < s->n; i++)
      xf[b * s->n + i] = (float) x[i];
    memcpy (cf + b * ctx, contexts[b], ctx * sizeof (float));
    ts[b] = (float) t;
  }
  guint L = (guint) (s->n / ((gsize) s->lh * s->lw));
  g_autoptr (SeTensor) sample = se_tensor_new_dims (gpu, error, batch, L, s->lh, s->lw);
  g_autoptr (SeTensor) context = se_tensor_new_dims (gpu, error, batch, m->files->clip.positions,
                                                     m->files->unet.context_dim);
  if (!sample || !context || !se_tensor_upload (sample, xf, error) ||
      !se_tensor_upload (context, cf, error))
    return FALSE;
  g_autoptr (SeTensor) out = se_unet_forward (m->unet, sample, ts, context, NULL, error);
  if (out == NULL || !se_tensor_download (out, xf, error))
    return FALSE;
  for (gsize i = 0; i < batch * s->n; i++)
    eps[i] = xf[i];
  return TRUE;
}

gboolean
se_session_is_inverted_for (const SeSession *s, const SeRecipe *r)
{
  return s->schedule && s->schedule->steps == r->steps && g_strcmp0 (s->src, r->src) == 0 &&
         s->cfg_src == r->cfg_src;
}

gboolean
se_session_invert (SeSession *s, const SeRecipe *r, guint64 seed, const float *noises,
                   SeProgressFunc progress, gpointer data, GCancellable *cancel, GError **error)
{
  if (!se_recipe_validate (r, error))
    return FALSE;
  guint N = r->steps;
  gsize n = s->n;
  g_autoptr (SeSchedule) sched = se_schedule_new (N);
  g_autofree double *xts = g_new (double, (N + 1) * n);
  g_autofree double *zs = g_new0 (double, N * n);
  /* xts[k + 1] = sqrt(a) x0 + sqrt(1 - a) noise[k], k over ascending timesteps */
  SeRng rng;
  se_rng_init (&rng, seed);
  memcpy (xts, s->x0, n * sizeof (double));
  for (guint k = 0; k < N; k++) {
    double a = sched->alphas_cumprod[sched->timesteps[N - 1 - k]];
    for (gsize i = 0; i < n; i++) {
      double z = noises ? noises[k * n + i] : se_rng_normal (&rng);
      xts[(k + 1) * n + i] = sqrt (a) * s->x0[i] + sqrt (1.0 - a) * z;
    }
  }
  const float *contexts[2];
  guint batch = 1;
  if (!(contexts[0] = embedding (s, "", error)))
    return FALSE;
  if (*r->src && !(contexts[batch++] = embedding (s, r->src, error)))
    return FALSE;

  g_autofree double *eps = g_new (double, 2 * n);
  for (guint j = 0; j < N; j++) {
    if (cancelled (cancel, error))
      return FALSE;
    guint t = sched->timesteps[j], idx = N - j - 1;
    double *xt = xts + (idx + 1) * n, *xprev = xts + idx * n;
    if (!predict (s, xt, t, contexts, batch, eps, error))
      return FALSE;
    double a = sched->alphas_cumprod[t], ap = se_schedule_prev_alpha (sched, t);
    double var = se_schedule_variance (sched, t);
    for (gsize i = 0; i < n; i++) {
      double e = batch == 2 ? eps[i] + r->cfg_src * (eps[n + i] - eps[i]) : eps[i];
      double x0p = (xt[i] - sqrt (1.0 - a) * e) / sqrt (a);
      double mu = sqrt (ap) * x0p + sqrt (1.0 - ap - var) * e;
      double z = (xprev[i] - mu) / sqrt (var);
      zs[idx * n + i] = z;
      xprev[i] = mu + sqrt (var) * z;
    }
    if (progress)
      progress ("invert", j + 1, N, data);
  }
  memset (zs, 0, n * sizeof (double));              /* zs[0] = 0 by convention */

  clear_inversion (s);
  s->schedule = g_steal_pointer (&sched);
  s->src = g_strdup (r->src);
  s->cfg_src = r->cfg_src;
  s->xts = g_steal_pointer (&xts);
  s->zs = g_steal_pointer (&zs);
  return TRUE;
}

static gboolean
decode (SeSession *s, const double *latent, SeImage *out, GError **error)
{
  SeModel *m = s->model;
  guint L = (guint) (s->n / ((gsize) s->lh * s->lw));
  g_autofree float *lf = g_new (float, s->n);
  for (gsize i = 0; i < s->n; i++)
    lf[i] = (float) (latent[i] / m->files->vae.scaling);
  g_autoptr (SeTensor) t = se_tensor_new_dims (m->gpu, error, 1, L, s->lh, s->lw);
  if (t == NULL || !se_tensor_upload (t, lf, error))
    return FALSE;
  g_autoptr (SeTensor) img = se_vae_decode (m->vae, t, error);
  if (img == NULL)
    return FALSE;
  float *data = g_new (float, img->numel);
  if (!se_tensor_download (img, data, error)) {
    g_free (data);
    return FALSE;
  }
  *out = (SeImage) { s->width, s->height, data };
  return TRUE;
}

gboolean
se_session_edit (SeSession *s, const SeRecipe *r, SeImage *out, SeProgressFunc progress,
                 gpointer data, GCancellable *cancel, GError **error)
{
  if (!se_recipe_validate (r, error))
    return FALSE;
  if (!se_session_is_inverted_for (s, r)) {
    g_set_error (error, SE_RECIPE_ERROR, 0,
                 _("the edit needs an inversion with steps %u, src \"%s\" and cfg_src %g; "
                   "invert first"), r->steps, r->src, r->cfg_src);
    return FALSE;
  }
  guint N = r->steps, K = r->skip, C = r->concepts->len, batch = 2 + C;
  gsize n = s->n;
  g_autofree const float **contexts = g_new (const float *, batch);
  if (!(contexts[0] = embedding (s, "", error)) || !(contexts[1] = embedding (s, r->tar, error)))
    return FALSE;
  for (guint c = 0; c < C; c++)
    if (!(contexts[2 + c] = embedding (s, g_array_index (r->concepts, SeConcept, c).prompt, error)))
      return FALSE;

  const SeSchedule *sched = s->schedule;
  g_autofree double *x = g_memdup2 (s->xts + (N - K) * n, n * sizeof (double));
  g_autofree double *trace = g_new (double, (N - K) * n);
  g_autofree double *eps = g_new (double, batch * n);
  g_autofree double *e = g_new (double, n);
  g_autofree double *momentum = g_new0 (double, n);
  guint total = N - K + (out ? 1 : 0);
  for (guint i = 0; i < N - K; i++) {
    if (cancelled (cancel, error))
      return FALSE;
    guint t = sched->timesteps[K + i], idx = N - K - i - 1;
    if (!predict (s, x, t, contexts, batch, eps, error))
      return FALSE;
    se_sega_step (r, i, eps, n, (guint) (n / ((gsize) s->lh * s->lw)), momentum, e);
    double a = sched->alphas_cumprod[t], ap = se_schedule_prev_alpha (sched, t);
    double var = se_schedule_variance (sched, t);
    const double *z = s->zs + idx * n;
    for (gsize k = 0; k < n; k++) {
      double x0p = (x[k] - sqrt (1.0 - a) * e[k]) / sqrt (a);
      x[k] = sqrt (ap) * x0p + sqrt (1.0 - ap - var) * e[k] + sqrt (var) * z[k];
    }
    memcpy (trace + i * n, x, n * sizeof (double));
    if (progress)
      progress ("edit", i + 1, total, data);
  }
  SeImage image = { 0 };
  if (out) {
    if (cancelled (cancel, error) || !decode (s, x, &image, error))
      return FALSE;
    if (progress)
      progress ("decode", total, total, data);
    *out = image;
  }
  g_free (s->latent);
  g_free (s->trace);
  s->latent = g_steal_pointer (&x);
  s->trace = g_steal_pointer (&trace);
  s->trace_len = N - K;
  return TRUE;
}

gsize se_session_latent_size (const SeSession *s) { return s->n; }
const double *se_session_x0 (const SeSession *s) { return s->x0; }
const double *se_session_latent (const SeSession *s) { return s->latent; }

const double *
se_session_xts (const SeSession *s, guint *count)
{
  *count = s->schedule ? s->schedule->steps + 1 : 0;
  return s->xts;
}

const double *
se_session_zs (const SeSession *s, guint *count)
{
  *count = s->schedule ? s->schedule->steps : 0;
  return s->zs;
}

const double *
se_session_trace (const SeSession *s, guint *count)
{
  *count = s->trace_len;
  return s->trace;
}
