/* session.c: encode once, invert once, edit many times (engine.h). */
#include "session-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "fault.h"
#include "ledits/device-loop.h"
#include "ledits/rng.h"
#include "ledits/step-ops.h"
#include "nets/unet-plan.h"

/* Replaying recorded evaluations is the default; SE_REPLAY=0 records every
 * evaluation afresh, and so does profiling (timestamps are taken only on
 * directly submitted work). */
/* A network's output checked for NaN and infinity (a broken model or an
 * fp16 overflow), so that noise never becomes a result reported as a
 * success; `what` names the network and where, for the message. */
gboolean
se_session_finite (const SeModel *m, const float *v, gsize n, const char *what, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (v[i])) {
      gboolean fp16 = m->gpu->fp16_activations;
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NON_FINITE,
                   _("%s produced a value that is not finite (%g)%s"), what, v[i],
                   fp16 ? _("; with SE_PRECISION=fp32 (full-precision activations) it may not") : "");
      return FALSE;
    }
  return TRUE;
}

/* Refuses, before it starts, work that needs more device memory than is
 * left: `need` bytes beyond what is held now (footprint.h). */
static gboolean
fits (SeModel *m, VkDeviceSize need, GError **error)
{
  const char *source = NULL;
  VkDeviceSize left = se_memory_available (m->gpu, &source);
  if (need <= left)
    return TRUE;
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
               _("This edit needs about %.1f MiB of GPU memory beyond the model, but %s has %.1f MiB left (%s). "
                 "Use a smaller working size, fewer candidates or fewer concepts."),
               (double) need / (1 << 20), m->gpu->info.name, (double) left / (1 << 20), source);
  return FALSE;
}

static gboolean
footprint (SeModel *m, GError **error)
{
  return m->footprint.measured ||
         se_engine_finish (m->gpu, se_footprint_measure (m, &m->footprint, error));
}

gboolean
se_session_replay_wanted (SeGpu *gpu)
{
  const char *v = g_getenv ("SE_REPLAY");
  return !(v && g_strcmp0 (v, "0") == 0) && !se_cmd_profiling (gpu);
}

static gboolean
cancelled (GCancellable *cancel, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancel, error);
}

typedef SeTensor *(*VaeRun) (SeVae *vae, const SeTensor *x, GError **error);

/* The VAE (encode or decode) run on x, its output downloaded into a new
 * array of *numel floats and checked; an output that is not finite from
 * fp16 activations (vae.h) runs once more, and from then on, in fp32.
 * what names the network for messages. */
static float *
vae_run (SeModel *m, VaeRun run, const SeTensor *x, const char *what, gsize *numel, GError **error)
{
  for (;;) {
    gboolean fp16 = se_vae_activations (m->vae) == SE_DTYPE_F16;
    g_autoptr (SeTensor) out = run (m->vae, x, error);
    g_autofree float *data = out ? se_host_alloc (out->numel, sizeof (float), what, error) : NULL;
    if (data == NULL || !se_tensor_download (out, data, error))
      return NULL;
    gsize i = 0;
    while (i < out->numel && isfinite (data[i]))
      i++;
    if (i < out->numel && !fp16) {
      se_session_finite (m, data, out->numel, what, error);   /* the message for data[i] */
      return NULL;
    }
    if (i < out->numel) {
      g_message (_("%s overflowed in half precision: it runs in full precision from now on"), what);
      se_vae_use_fp32 (m->vae);
      m->footprint.measured = FALSE;   /* fp32 maps take more memory: measured again */
      continue;
    }
    *numel = out->numel;
    return g_steal_pointer (&data);
  }
}

/* The image encoded to the posterior's mode (its mean), scaled for the
 * diffusion model: latent channels x h/8 x w/8 values into *x0. */
static gboolean
encode (SeModel *model, const SeImage *image, double **x0, gsize *n, GError **error)
{
  SeGpu *gpu = model->gpu;
  g_autoptr (SeTensor) img = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, 1, 3, image->height, image->width);
  if (img == NULL || !se_tensor_upload (img, image->data, error))
    return FALSE;
  gsize numel;
  g_autofree float *m = vae_run (model, se_vae_encode, img, _("the VAE encoder"), &numel, error);
  if (m == NULL)
    return FALSE;
  guint L = model->files->vae.latent_channels;
  *n = (gsize) L * (image->height / 8) * (image->width / 8);
  g_autofree double *x = se_host_alloc (*n, sizeof (double), _("the image's latent"), error);
  if (x == NULL)
    return FALSE;
  for (gsize i = 0; i < *n; i++)
    x[i] = (double) m[i] * model->files->vae.scaling;
  *x0 = g_steal_pointer (&x);
  return TRUE;
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
  /* NaN or infinity in the picture (a float image can hold them) would
   * only surface as the VAE's failure */
  gsize plane = (gsize) image->width * image->height;
  for (gsize i = 0; i < 3 * plane; i++)
    if (!isfinite (image->data[i])) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                   _("the image holds a value that is not a number or infinite (%g, channel %u at %u, %u of "
                     "the %u x %u working image); replace those pixels first"), image->data[i],
                   (guint) (i / plane), (guint) (i % plane % image->width), (guint) (i % plane / image->width),
                   image->width, image->height);
      return NULL;
    }
  double *x0 = NULL;
  gsize n = 0;
  if (!se_model_ready (model, error) || !footprint (model, error) ||
      !fits (model, se_footprint_bytes (&model->footprint.encode, image->width, image->height, 1), error) ||
      !se_engine_finish (model->gpu, encode (model, image, &x0, &n, error)))
    return NULL;
  SeSession *s = g_new0 (SeSession, 1);
  s->model = model;
  s->width = image->width;
  s->height = image->height;
  s->lh = image->height / 8;
  s->lw = image->width / 8;
  s->n = n;
  s->x0 = x0;
  s->embeddings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  model->sessions = g_list_prepend (model->sessions, s);
  return s;
}

static void
clear_inversion (SeSession *s)
{
  s->inverted = FALSE;
  g_clear_pointer (&s->schedule, se_schedule_free);
  g_clear_pointer (&s->dpm, se_dpm_schedule_free);
  g_clear_pointer (&s->masks, g_free);
  g_clear_pointer (&s->coverage, g_free);
  s->mask_concepts = 0;
  g_clear_pointer (&s->src, g_free);
  g_clear_pointer (&s->xts, g_free);
  g_clear_pointer (&s->zs, g_free);
  g_clear_pointer (&s->reconstruction, g_free);
  for (guint k = 0; s->sources && k < s->candidates; k++)
    g_free (s->sources[k].data);
  g_clear_pointer (&s->sources, g_free);
}

void
se_session_free (SeSession *s)
{
  if (s == NULL)
    return;
  s->model->sessions = g_list_remove (s->model->sessions, s);
  clear_inversion (s);
  se_session_drop_recordings (s);
  g_hash_table_unref (s->embeddings);
  g_free (s->x0);
  g_free (s->latent);
  g_free (s->trace);
  g_free (s);
}

void
se_session_drop_recordings (SeSession *s)
{
  for (guint i = 0; i < SE_SESSION_PLANS; i++)
    g_clear_pointer (&s->plans[i], se_unet_plan_free);
}

/* The text encoder's last hidden state for prompt, cached per session. */
const float *
se_session_embedding (SeSession *s, const char *prompt, GError **error)
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
  e = se_host_alloc (h->numel, sizeof (float), _("a prompt's embedding"), error);
  if (e == NULL)
    return NULL;
  g_autofree char *what = g_strdup_printf (_("the text encoder (prompt \"%s\")"), prompt);
  if (!se_tensor_download (h, e, error) || !se_session_finite (m, e, h->numel, what, error)) {
    g_free (e);
    return NULL;
  }
  g_hash_table_insert (s->embeddings, g_strdup (prompt), e);
  return e;
}

static gboolean
is_plan (const SeUNetPlan *p, guint batch, guint capture)
{
  return se_unet_plan_batch (p) == batch && se_unet_plan_capture_queries (p) == capture;
}

SeUNetPlan *
se_session_plan_for (SeSession *s, guint batch, guint capture, GError **error)
{
  guint i = 0;
  while (i < SE_SESSION_PLANS && s->plans[i] && !is_plan (s->plans[i], batch, capture))
    i++;
  SeUNetPlan *plan = i < SE_SESSION_PLANS ? s->plans[i] : NULL;
  if (plan == NULL) {
    SeModel *m = s->model;
    plan = se_unet_plan_new (m->unet, batch, s->lh, s->lw, m->files->clip.positions, capture, error);
    if (plan == NULL)
      return NULL;
    i = SE_SESSION_PLANS - 1;
    se_unet_plan_free (s->plans[i]);
  }
  memmove (s->plans + 1, s->plans, i * sizeof (SeUNetPlan *));
  s->plans[0] = plan;
  return plan;
}

guint
se_session_capture_queries (const SeSession *s)
{
  return (s->lh / 4) * (s->lw / 4);
}

/* Candidates per UNet batch when each needs `per` evaluations. */
guint
se_session_group_size (guint per)
{
  return MAX (1u, SE_MAX_UNET_BATCH / per);
}

static gboolean
holds_plan (const SeSession *s, guint batch, guint capture)
{
  for (guint i = 0; i < SE_SESSION_PLANS; i++)
    if (s->plans[i] && is_plan (s->plans[i], batch, capture))
      return TRUE;
  return FALSE;
}

/* The device's part of an inversion or edit (device-loop.h), the larger:
 * fp32 latents, noise maps, momentum or data predictions, masks and
 * reports.  Text encodings come before it and decodes after. */
static VkDeviceSize
step_state_bytes (const SeSession *s, const SeRecipe *r, guint K)
{
  gboolean pp = r->method == SE_METHOD_LEDITS_PP;
  gsize n = s->n, hw = (gsize) s->lh * s->lw, aq = hw / 16, C = r->concepts->len;
  gsize N = pp ? se_recipe_inverted_steps (r) : r->steps, T = pp ? N : N - r->skip;
  gsize invert = K * (2 * N + 3) * n + 4;
  gsize edit = K * (T + 2) * n + 4;
  if (pp)
    edit += 3 * K * n + K * C * (hw + aq + aq + hw + 2);
  else
    edit += 2 * K * n + MIN (se_session_group_size (2 + C), K) * C * (n / hw);
  return (MAX (invert, edit) + se_step_params_floats (C)) * sizeof (float);
}

/* Whether the device can hold a whole run of the recipe with `candidates`:
 * the inversion's and the edit's recorded UNet evaluations (kept by the
 * session) and the larger of a decode and a prompt's encoding. */
static gboolean
run_fits (SeSession *s, const SeRecipe *r, guint candidates, GError **error)
{
  SeModel *m = s->model;
  if (!footprint (m, error))
    return FALSE;
  const SeFootprint *f = &m->footprint;
  gboolean pp = r->method == SE_METHOD_LEDITS_PP;
  guint C = r->concepts->len;
  guint per_inv = *r->src ? 2 : 1, per_edit = pp ? 1 + C : 2 + C;
  /* LEDITS++ captures the cross-attention maps in its edit when it masks with them */
  guint capture = pp && C > 0 && r->masks != SE_MASKS_NOISE ? se_session_capture_queries (s) : 0;
  guint b_inv = MIN (se_session_group_size (per_inv), candidates) * per_inv;
  guint b_edit = MIN (se_session_group_size (per_edit), candidates) * per_edit;
  VkDeviceSize need = 0;
  if (!holds_plan (s, b_inv, 0))
    need += se_footprint_bytes (&f->unet, s->width, s->height, b_inv);
  if ((b_edit != b_inv || capture) && !holds_plan (s, b_edit, capture))
    need += se_footprint_bytes (&f->unet, s->width, s->height, b_edit);
  VkDeviceSize transient = MAX (se_footprint_bytes (&f->decode, s->width, s->height, 1),
                                se_footprint_bytes (&f->text, s->width, s->height, 1));
  return fits (m, need + MAX (transient, step_state_bytes (s, r, candidates)), error);
}

gboolean
se_session_is_inverted_for (const SeSession *s, const SeRecipe *r)
{
  return s->inverted && s->method == r->method && s->steps == r->steps &&
         (r->method == SE_METHOD_LEDITS || s->skip == r->skip) && g_strcmp0 (s->src, r->src) == 0 &&
         s->cfg_src == r->cfg_src;
}

void
se_session_set_inversion (SeSession *s, const SeRecipe *r, guint K, guint inv_steps, SeSchedule *schedule,
                          SeDpmSchedule *dpm, double *xts, double *zs, double *reconstruction)
{
  clear_inversion (s);
  s->inverted = TRUE;
  s->method = r->method;
  s->steps = r->steps;
  s->skip = r->skip;
  s->schedule = schedule;
  s->dpm = dpm;
  s->inv_steps = inv_steps;
  s->src = g_strdup (r->src);
  s->cfg_src = r->cfg_src;
  s->candidates = K;
  s->xts = xts;
  s->zs = zs;
  s->reconstruction = reconstruction;
  s->sources = g_new0 (SeImage, K);
}

gboolean
se_session_noised (SeSession *s, guint K, guint steps, guint64 seed, const float *noises, const double *a,
                   const double *b, SeInversionArrays *out, GError **error)
{
  gsize n = s->n, per_xts = (steps + 1) * n;
  g_autofree double *xts = se_host_alloc ((gsize) K * per_xts, sizeof (double), _("the inversion's latents"), error);
  g_autofree double *zs = xts ? se_host_alloc0 ((gsize) K * steps * n, sizeof (double),
                                                _("the inversion's noise maps"), error) : NULL;
  g_autofree double *rec = zs ? se_host_alloc ((gsize) K * n, sizeof (double), _("the inversion's reconstructions"),
                                               error) : NULL;
  if (rec == NULL)
    return FALSE;
  for (guint c = 0; c < K; c++) {
    SeRng rng;
    se_rng_init (&rng, seed + c);
    double *x = xts + c * per_xts;
    memcpy (x, s->x0, n * sizeof (double));
    for (guint k = 0; k < steps; k++)
      for (gsize i = 0; i < n; i++) {
        double z = noises ? noises[k * n + i] : se_rng_normal (&rng);
        x[(k + 1) * n + i] = a[k] * s->x0[i] + b[k] * z;
      }
  }
  *out = (SeInversionArrays) { g_steal_pointer (&xts), g_steal_pointer (&zs), g_steal_pointer (&rec) };
  return TRUE;
}

typedef struct {
  const SeSchedule *sched;
  float cfg;
} DdpmInversion;

static void
ddpm_inversion_step (gpointer data, guint j, guint steps, SeStepParams *p, guint *t)
{
  const DdpmInversion *inv = data;
  *t = inv->sched->timesteps[j];
  p->cfg = inv->cfg;
  p->last = j == steps - 1 ? SE_LAST_MEAN : SE_LAST_NOT;
  se_step_params_update (p, inv->sched->alphas_cumprod[*t], se_schedule_prev_alpha (inv->sched, *t),
                         se_schedule_variance (inv->sched, *t));
}

static gboolean
invert (SeSession *s, const SeRecipe *r, guint64 seed, guint K, const float *noises,
        SeProgressFunc progress, gpointer data, GCancellable *cancel, GError **error)
{
  guint N = r->steps;
  g_autoptr (SeSchedule) sched = se_schedule_new (N);
  /* xts[k + 1] = sqrt(a) x0 + sqrt(1 - a) noise[k], k over ascending timesteps */
  g_autofree double *ca = g_new (double, N), *cb = g_new (double, N);
  for (guint k = 0; k < N; k++) {
    double a = sched->alphas_cumprod[sched->timesteps[N - 1 - k]];
    ca[k] = sqrt (a);
    cb[k] = sqrt (1.0 - a);
  }
  SeInversionArrays arrays;
  if (!se_session_noised (s, K, N, seed, noises, ca, cb, &arrays, error))
    return FALSE;
  g_autofree double *xts = arrays.xts, *zs = arrays.zs, *rec = arrays.reconstruction;
  const float *uncond = se_session_embedding (s, "", error);
  const float *src = uncond && *r->src ? se_session_embedding (s, r->src, error) : NULL;
  if (uncond == NULL || (*r->src && src == NULL))
    return FALSE;
  guint per = src ? 2 : 1;
  const float *contexts[] = { uncond, src };
  DdpmInversion inv = { sched, (float) r->cfg_src };
  if (!se_step_invert (s, K, N, per, contexts, xts, zs, rec, ddpm_inversion_step, &inv, progress, data, cancel,
                       error))
    return FALSE;
  se_session_set_inversion (s, r, K, N, g_steal_pointer (&sched), NULL, g_steal_pointer (&xts),
                            g_steal_pointer (&zs), g_steal_pointer (&rec));
  return TRUE;
}

gboolean
se_session_invert (SeSession *s, const SeRecipe *r, guint64 seed, guint K, const float *noises,
                   SeProgressFunc progress, gpointer data, GCancellable *cancel, GError **error)
{
  if (!se_recipe_validate (r, error))
    return FALSE;
  if (K == 0 || (noises && K != 1)) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("invert: %u candidates (injected noise takes exactly 1)"), K);
    return FALSE;
  }
  if (!se_model_ready (s->model, error) || !run_fits (s, r, K, error))
    return FALSE;
  gboolean ok = r->method == SE_METHOD_LEDITS_PP
                  ? se_ledits_pp_invert (s, r, seed, K, noises, progress, data, cancel, error)
                  : invert (s, r, seed, K, noises, progress, data, cancel, error);
  return se_engine_finish (s->model->gpu, ok);
}

static gboolean
decode_latent (SeSession *s, const double *latent, SeImage *out, GError **error)
{
  SeModel *m = s->model;
  guint L = (guint) (s->n / ((gsize) s->lh * s->lw));
  g_autofree float *lf = se_host_alloc (s->n, sizeof (float), _("the latent to decode"), error);
  if (lf == NULL)
    return FALSE;
  for (gsize i = 0; i < s->n; i++)
    lf[i] = (float) (latent[i] / m->files->vae.scaling);
  g_autoptr (SeTensor) t = se_tensor_new_typed_dims (m->gpu, SE_DTYPE_F32, error, 1, L, s->lh, s->lw);
  if (t == NULL || !se_tensor_upload (t, lf, error))
    return FALSE;
  gsize numel;
  g_autofree float *data = vae_run (m, se_vae_decode, t, _("the VAE decoder"), &numel, error);
  if (data == NULL)
    return FALSE;
  *out = (SeImage) { s->width, s->height, g_steal_pointer (&data) };
  return TRUE;
}

gboolean
se_session_decode_latent (SeSession *s, const double *latent, SeImage *out, GError **error)
{
  return se_model_ready (s->model, error) &&
         se_engine_finish (s->model->gpu, decode_latent (s, latent, out, error));
}

const SeImage *
se_session_source (SeSession *s, guint k, GError **error)
{
  SeModel *m = s->model;
  if (!s->inverted || k >= s->candidates) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("no inversion holds candidate %u; invert first"), k);
    return NULL;
  }
  SeImage *source = &s->sources[k];
  if (source->data == NULL &&
      !(se_model_ready (m, error) && footprint (m, error) &&
        fits (m, se_footprint_bytes (&m->footprint.decode, s->width, s->height, 1), error) &&
        se_engine_finish (m->gpu, decode_latent (s, s->reconstruction + k * s->n, source, error))))
    return NULL;
  return source;
}

typedef struct {
  SeEditState st;
  const SeTensor *params;
  SeTensor *thr;
  guint per, C;
  gsize P;
} EditRun;

static gboolean
edit_kernels (SeGpu *gpu, const SeTensor *eps, const GPtrArray *maps, guint c0, guint count, gpointer data,
              GError **error)
{
  EditRun *run = data;
  guint L = (guint) (run->st.n / run->P);
  return se_op_sega_quantiles (gpu, eps, count, run->per, run->C, L, run->P, run->params, run->thr, error) &&
         se_op_edit_step (gpu, eps, c0, count, run->per, run->C, run->P, run->params, run->thr, &run->st, error);
}

/* The edit's steps on the device (device-loop.h): after each, the host
 * receives the estimates (for the preview) and the latents (the trace). */
static gboolean
edit_steps (SeSession *s, const SeRecipe *r, const float *const *prompts, double *x, double *trace, double *estimate,
            SeProgressFunc progress, gpointer data, guint total, GCancellable *cancel, GError **error)
{
  SeGpu *gpu = s->model->gpu;
  guint N = r->steps, K = r->skip, C = r->concepts->len, per = 2 + C, T = N - K, cands = s->candidates;
  gsize n = s->n, P = (gsize) s->lh * s->lw, rep_n = SE_STEP_STATUS + 2 * (gsize) cands * n;
  guint L = (guint) (n / P), group = MIN (se_session_group_size (per), cands);
  const SeSchedule *sched = s->schedule;
  g_autofree float *rep = se_host_alloc (rep_n, sizeof (float), _("the edit's estimates"), error);
  if (rep == NULL)
    return FALSE;
  g_autoptr (SeTensor) lat = se_step_tensor_from_doubles (gpu, x, cands * n, _("the edited latents"), error);
  g_autoptr (SeTensor) mom = lat ? se_step_tensor_from_doubles (gpu, NULL, cands * n, _("the edit's momentum"), error) : NULL;
  /* each candidate's first T noise maps: the edit's steps use those */
  g_autoptr (SeTensor) zs = mom ? se_step_tensor_from_rows (gpu, s->zs, cands, (gsize) T * n, (gsize) N * n,
                                                            _("the inversion's noise maps"), error) : NULL;
  g_autoptr (SeTensor) report = zs ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) rep_n) : NULL;
  g_autoptr (SeTensor) thr = report ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                                (gint64) MAX ((gsize) group * C * L, 1)) : NULL;
  g_autoptr (SeTensor) params = thr ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                                (gint64) se_step_params_floats (C)) : NULL;
  if (params == NULL)
    return FALSE;
  EditRun run = { { lat, mom, zs, report, cands, n, (gsize) T * n }, params, thr, per, C, P };
  SeStepLoop loop;
  se_step_loop_init (&loop, s, cands, per, 0, prompts, lat, n, params, edit_kernels, &run);
  g_autofree SeStepParams *p = se_step_params_new (C);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < T; i++) {
    guint t = sched->timesteps[K + i], idx = T - i - 1;
    se_step_params_update (p, sched->alphas_cumprod[t], se_schedule_prev_alpha (sched, t),
                           se_schedule_variance (sched, t));
    se_step_params_edit (p, r, i, (guint) P);
    p->z_offset = (guint32) (idx * n);
    ok = se_step_upload (params, p, C, report, error) &&
         se_step_loop_run (&loop, t, _("edit"), i + 1, T, report, rep, cancel, error);
    if (ok)
      se_step_take_latents (rep, cands, n, T, i, estimate, x, trace);
    if (ok && progress)
      progress ("edit", i + 1, total, data);
  }
  se_step_loop_clear (&loop);
  return ok;
}

static gboolean
edit (SeSession *s, const SeRecipe *r, SeImage *out, SeProgressFunc progress, gpointer data,
      GCancellable *cancel, GError **error)
{
  guint N = r->steps, K = r->skip, C = r->concepts->len, per = 2 + C, T = N - K;
  guint cands = s->candidates;
  gsize n = s->n;
  g_autofree const float **prompts = g_new (const float *, per);
  if (!(prompts[0] = se_session_embedding (s, "", error)) || !(prompts[1] = se_session_embedding (s, r->tar, error)))
    return FALSE;
  for (guint c = 0; c < C; c++)
    if (!(prompts[2 + c] = se_session_embedding (s, g_array_index (r->concepts, SeConcept, c).prompt, error)))
      return FALSE;

  g_autofree double *x = se_host_alloc ((gsize) cands * n, sizeof (double), _("the edited latents"), error);
  g_autofree double *trace = x ? se_host_alloc ((gsize) cands * T * n, sizeof (double), _("the edit's trace"), error)
                               : NULL;
  g_autofree double *estimate = trace ? se_host_alloc ((gsize) cands * n, sizeof (double), _("the edit's estimates"),
                                                       error) : NULL;
  if (estimate == NULL)
    return FALSE;
  for (guint c = 0; c < cands; c++)
    memcpy (x + c * n, s->xts + c * (N + 1) * n + (N - K) * n, n * sizeof (double));
  guint total = T + (out ? 1 : 0);
  gboolean ok = TRUE;
  if (se_session_edit_retraces (r)) {
    s->estimate = x;            /* the retraced latent is the preview's best guess */
    for (guint i = 0; i < T; i++) {
      se_session_retrace_step (s, i, T, (gsize) (N + 1) * n, x, trace);
      if (progress)
        progress ("edit", i + 1, total, data);
    }
    s->estimate = NULL;
  } else {
    s->estimate = estimate;
    ok = edit_steps (s, r, prompts, x, trace, estimate, progress, data, total, cancel, error);
    s->estimate = NULL;
  }
  return ok && se_session_finish_edit (s, g_steal_pointer (&x), g_steal_pointer (&trace), T, out, progress, data,
                                       total, cancel, error);
}

gboolean
se_session_edit_retraces (const SeRecipe *r)
{
  return r->concepts->len == 0 && *r->src && (r->method == SE_METHOD_LEDITS_PP || *r->tar == '\0');
}

void
se_session_retrace_step (const SeSession *s, guint i, guint T, gsize per_xts, double *x, double *trace)
{
  guint idx = T - 1 - i;
  gsize n = s->n;
  for (guint k = 0; k < s->candidates; k++) {
    const double *at = idx > 0 ? s->xts + k * per_xts + (gsize) idx * n : s->reconstruction + k * n;
    memcpy (x + k * n, at, n * sizeof (double));
    memcpy (trace + ((gsize) k * T + i) * n, at, n * sizeof (double));
  }
}

gboolean
se_session_finish_edit (SeSession *s, double *latents, double *trace_taken, guint trace_len, SeImage *out,
                        SeProgressFunc progress, gpointer data, guint total, GCancellable *cancel, GError **error)
{
  g_autofree double *x = latents, *trace = trace_taken;
  guint cands = s->candidates;
  gsize n = s->n;
  if (out) {
    g_autofree SeImage *images = g_new0 (SeImage, cands);
    for (guint c = 0; c < cands; c++)
      if (cancelled (cancel, error) || !decode_latent (s, x + c * n, &images[c], error)) {
        for (guint k = 0; k < c; k++)
          g_free (images[k].data);
        return FALSE;
      }
    memcpy (out, images, cands * sizeof (SeImage));
    if (progress)
      progress ("decode", total, total, data);
  }
  g_free (s->latent);
  g_free (s->trace);
  s->latent = g_steal_pointer (&x);
  s->trace = g_steal_pointer (&trace);
  s->trace_len = trace_len;
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
                 _("the edit needs a %s inversion with steps %u, skip %u, src \"%s\" and cfg_src %g; "
                   "invert first"), se_method_name (r->method), r->steps, r->skip, r->src, r->cfg_src);
    return FALSE;
  }
  if (!se_model_ready (s->model, error) || !run_fits (s, r, s->candidates, error))
    return FALSE;
  gboolean ok = r->method == SE_METHOD_LEDITS_PP ? se_ledits_pp_edit (s, r, out, progress, data, cancel, error)
                                                 : edit (s, r, out, progress, data, cancel, error);
  return se_engine_finish (s->model->gpu, ok);
}

guint se_session_candidates (const SeSession *s) { return s->candidates; }
gsize se_session_latent_size (const SeSession *s) { return s->n; }
const double *se_session_x0 (const SeSession *s) { return s->x0; }

const double *
se_session_reconstruction (const SeSession *s, guint k)
{
  return s->reconstruction && k < s->candidates ? s->reconstruction + k * s->n : NULL;
}

const double *
se_session_latent (const SeSession *s, guint k)
{
  g_return_val_if_fail (s->latent && k < s->candidates, NULL);
  return s->latent + k * s->n;
}

const double *
se_session_edit_estimate (const SeSession *s, guint k)
{
  return s->estimate && k < s->candidates ? s->estimate + k * s->n : NULL;
}

const double *
se_session_concept_mask (const SeSession *s, guint k, guint c)
{
  if (!s->inverted || s->method != SE_METHOD_LEDITS_PP || k >= s->candidates || c >= s->mask_concepts)
    return NULL;
  const double *m = s->estimate ? s->masks : s->coverage;
  gsize hw = (gsize) s->lh * s->lw;
  return m ? m + ((gsize) k * s->mask_concepts + c) * hw : NULL;
}

const double *
se_session_xts (const SeSession *s, guint k, guint *count)
{
  g_return_val_if_fail (s->inverted && k < s->candidates, NULL);
  *count = s->inv_steps + 1;
  return s->xts + k * *count * s->n;
}

const double *
se_session_zs (const SeSession *s, guint k, guint *count)
{
  g_return_val_if_fail (s->inverted && k < s->candidates, NULL);
  *count = s->inv_steps;
  return s->zs + k * *count * s->n;
}

const double *
se_session_trace (const SeSession *s, guint k, guint *count)
{
  g_return_val_if_fail (s->trace && k < s->candidates, NULL);
  *count = s->trace_len;
  return s->trace + k * s->trace_len * s->n;
}

void
se_session_observe_pp (SeSession *s, SePpObserver observer, gpointer data)
{
  s->observer = observer;
  s->observer_data = data;
}
