/* preview-job.c: the dialog's engine work on the worker thread (preview-job.h). */
#include "preview-job.h"
#include "step-progress.h"

#include <glib/gi18n-lib.h>
#include <string.h>

void
se_engine_state_clear (SeEngineState *s)
{
  g_clear_pointer (&s->session, se_session_free);
  g_clear_pointer (&s->model, se_model_free);
  g_clear_pointer (&s->model_path, g_free);
  g_clear_pointer (&s->engine, se_engine_free);
}

void
se_preview_job_free (gpointer data)
{
  SePreviewJob *j = data;
  g_free (j->model_path);
  se_recipe_free (j->recipe);
  g_object_unref (j->cancel);
  g_free (j);
}

typedef struct {
  SePreviewEvent ev;
  SePreviewEventFunc func;
  gpointer data;
} Posted;

static gboolean
deliver (gpointer data)
{
  Posted *p = data;
  p->func (&p->ev, p->data);
  return G_SOURCE_REMOVE;
}

static void
posted_free (gpointer data)
{
  Posted *p = data;
  for (guint i = 0; i < p->ev.count; i++) {
    g_free (p->ev.images[i].data);
    if (p->ev.sources)
      g_free (p->ev.sources[i].data);
  }
  g_free (p->ev.images);
  g_free (p->ev.sources);
  g_free (p->ev.masks);
  g_free (p->ev.text);
  g_free (p);
}

/* Takes text and images. */
static void
post_event (SeWorker *w, const SePreviewJob *j, SePreviewEvent ev)
{
  Posted *p = g_new0 (Posted, 1);
  p->ev = ev;
  p->ev.job = j->id;
  p->func = j->on_event;
  p->data = j->on_event_data;
  se_worker_post (w, deliver, p, posted_free);
}

static void
post (SeWorker *w, const SePreviewJob *j, SePreviewEventKind kind, char *text, double fraction,
      SeImage *images, guint count)
{
  post_event (w, j, (SePreviewEvent) { .kind = kind, .text = text, .fraction = fraction,
                                       .images = images, .count = count });
}

/* Each candidate's LEDITS++ concept masks into ev (none for LEDITS). */
static void
add_masks (SePreviewEvent *ev, const SePreviewJob *j)
{
  SeEngineState *st = j->state;
  guint C = j->recipe->method == SE_METHOD_LEDITS_PP ? j->recipe->concepts->len : 0;
  guint K = se_session_candidates (st->session), lw = st->width / 8, lh = st->height / 8;
  gsize hw = (gsize) lw * lh;
  if (C == 0 || se_session_concept_mask (st->session, 0, 0) == NULL)
    return;
  ev->masks = g_new (double, (gsize) K * C * hw);
  for (guint k = 0; k < K; k++)
    for (guint c = 0; c < C; c++)
      memcpy (ev->masks + ((gsize) k * C + c) * hw, se_session_concept_mask (st->session, k, c), hw * sizeof (double));
  ev->mask_concepts = C;
  ev->mask_w = lw;
  ev->mask_h = lh;
}

typedef struct {
  SeWorker *worker;
  SePreviewJob *job;
  SeStepProgress steps;         /* of the whole job */
} Progress;

static void
on_progress (const char *phase, guint done, guint total, gpointer data)
{
  Progress *p = data;
  SePreviewJob *j = p->job;
  double fraction;
  char *text = se_step_progress_update (&p->steps, phase, done, total, &fraction);
  if (strcmp (phase, "edit") != 0 || done >= total || done == 0) {
    post (p->worker, j, SE_PREVIEW_STATUS, text, fraction, NULL, 0);
    return;
  }
  /* each candidate's current estimate, through the latent preview map */
  SeEngineState *st = j->state;
  guint K = se_session_candidates (st->session), lw = st->width / 8, lh = st->height / 8;
  SeImage *images = g_new0 (SeImage, K);
  for (guint k = 0; k < K; k++) {
    images[k] = (SeImage) { lw, lh, g_new (float, 3 * (gsize) lw * lh) };
    se_model_latent_preview (st->model, se_session_edit_estimate (st->session, k), lw, lh,
                             images[k].data);
  }
  SePreviewEvent ev = { .kind = SE_PREVIEW_STEP, .fraction = fraction, .text = text, .images = images,
                        .count = K };
  add_masks (&ev, j);
  post_event (p->worker, j, ev);
}

static gboolean
load_model (SeWorker *w, SePreviewJob *j, GError **error)
{
  SeEngineState *st = j->state;
  if (st->model && g_strcmp0 (st->model_path, j->model_path) == 0)
    return TRUE;
  g_clear_pointer (&st->session, se_session_free);
  g_clear_pointer (&st->model, se_model_free);
  g_clear_pointer (&st->model_path, g_free);
  post (w, j, SE_PREVIEW_STATUS, g_strdup (_("Loading the model…")), -1, NULL, 0);
  if (st->engine == NULL && !(st->engine = se_engine_new (NULL, error)))
    return FALSE;
  if (!(st->model = se_model_load_cancellable (st->engine, j->model_path, NULL, j->cancel, error)))
    return FALSE;
  /* without its own map the preview falls back to SD 1.x's generic one */
  g_autoptr (GError) fit_error = NULL;
  if (!se_model_fit_latent_preview (st->model, &fit_error))
    g_warning ("latent preview: %s", fit_error->message);
  st->model_path = g_strdup (j->model_path);
  return TRUE;
}

static gboolean
encode (SeWorker *w, SePreviewJob *j, GError **error)
{
  SeEngineState *st = j->state;
  if (st->session)
    return TRUE;
  post (w, j, SE_PREVIEW_STATUS, g_strdup (_("Encoding the region…")), -1, NULL, 0);
  se_image_working_size (j->region->width, j->region->height, se_model_size_multiple (st->model),
                         j->preview_side, &st->width, &st->height);
  SeImage small = se_image_resize (j->region, st->width, st->height, error);
  if (small.data == NULL)
    return FALSE;
  st->session = se_session_new (st->model, &small, error);
  g_free (small.data);
  return st->session != NULL;
}

void
se_preview_job_run (SeWorker *w, gpointer data)
{
  SePreviewJob *j = data;
  SeEngineState *st = j->state;
  g_autoptr (GError) error = NULL;
  /* cancelled while queued (a newer job may be waiting behind it) */
  if (g_cancellable_is_cancelled (j->cancel)) {
    post (w, j, SE_PREVIEW_CANCELLED, NULL, 0, NULL, 0);
    return;
  }
  if (!load_model (w, j, &error)) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))   /* the dialog closed or moved on */
      post (w, j, SE_PREVIEW_CANCELLED, NULL, 0, NULL, 0);
    else
      post_event (w, j, (SePreviewEvent) { .kind = SE_PREVIEW_FAILED, .model_failed = TRUE,
                                           .text = g_strdup (error->message) });
    return;
  }
  post (w, j, SE_PREVIEW_LOADED, g_strdup (j->model_path), j->recipe ? 0.0 : 1.0, NULL, 0);
  if (j->recipe == NULL)
    return;
  gboolean invert = !(st->session && se_session_is_inverted_for (st->session, j->recipe) &&
                      st->seed == j->seed && st->candidates == j->candidates);
  Progress progress = { .worker = w, .job = j };
  se_step_progress_init (&progress.steps, invert ? se_recipe_inverted_steps (j->recipe) : 0,
                         j->recipe->steps - j->recipe->skip);
  SeImage *images = g_new0 (SeImage, j->candidates);
  gboolean ok = encode (w, j, &error);
  if (ok && invert) {
    ok = se_session_invert (st->session, j->recipe, j->seed, j->candidates, NULL, on_progress,
                            &progress, j->cancel, &error);
    if (ok) {   /* a failed inversion leaves the session's last one */
      st->seed = j->seed;
      st->candidates = j->candidates;
    }
  }
  if (ok) {
    on_progress ("edit", 0, progress.steps.edit_steps + 1, &progress);
    ok = se_session_edit (st->session, j->recipe, images, on_progress, &progress, j->cancel, &error);
  }
  /* what each candidate would be unchanged, so the dialog can keep the
   * region's detail or not without another job (decoded once per inversion) */
  SeImage *sources = ok ? g_new0 (SeImage, j->candidates) : NULL;
  for (guint k = 0; ok && k < j->candidates; k++) {
    const SeImage *source = se_session_source (st->session, k, &error);
    if (source)
      sources[k] = (SeImage) { source->width, source->height,
                               g_memdup2 (source->data, 3 * sizeof (float) * source->width * source->height) };
    ok = source != NULL;
  }
  if (ok) {
    SePreviewEvent ev = { .kind = SE_PREVIEW_RESULT, .fraction = 1.0, .images = images, .sources = sources,
                          .count = j->candidates,
                          .seconds_per_step = se_step_progress_seconds_per_step (&progress.steps) };
    add_masks (&ev, j);
    post_event (w, j, ev);
  } else {
    for (guint k = 0; k < j->candidates; k++) {
      g_free (images[k].data);
      if (sources)
        g_free (sources[k].data);
    }
    g_free (sources);
    g_free (images);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      post (w, j, SE_PREVIEW_CANCELLED, NULL, 0, NULL, 0);
    else
      post (w, j, SE_PREVIEW_FAILED, g_strdup (error->message), 0, NULL, 0);
  }
}
