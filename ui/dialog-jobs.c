/* dialog-jobs.c: the dialog's live preview: debouncing changes, starting a
 * low-step preview job on the worker (cancelling the one before) and showing
 * what the newest job reports. */
#include <glib/gi18n-lib.h>

#include "dialog-private.h"

static void start_job (SeDialog *d, gboolean load_only);

static gboolean
debounce_done (gpointer data)
{
  SeDialog *d = data;
  d->debounce = 0;
  start_job (d, d->debounce_load);
  return G_SOURCE_REMOVE;
}

static void
debounce (SeDialog *d, guint delay_ms, gboolean load_only)
{
  if (d->debounce)
    g_source_remove (d->debounce);
  d->debounce_load = load_only;
  d->debounce = g_timeout_add (delay_ms, debounce_done, d);
}

void
se_dialog_request_preview (SeDialog *d, guint delay_ms)
{
  if (d->setting || d->worker == NULL ||
      !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)))
    return;
  debounce (d, delay_ms, FALSE);
}

void
se_dialog_request_load (SeDialog *d, guint delay_ms)
{
  if (d->setting || d->worker == NULL || (d->debounce && !d->debounce_load) ||
      g_strcmp0 (d->loaded_model, se_dialog_model_path (d)) == 0)
    return;
  debounce (d, delay_ms, TRUE);
}

static void
set_running (SeDialog *d, gboolean running, const char *text, double fraction)
{
  d->running = running;
  gtk_widget_set_sensitive (d->stop, running);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress), text);
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress), fraction);
  else
    gtk_progress_bar_pulse (GTK_PROGRESS_BAR (d->progress));
}

/* The bar's text when the model is loaded and no preview runs: what is
 * missing for an edit, or how to get a preview. */
static const char *
ready_text (SeDialog *d)
{
  g_autoptr (SeRecipe) r = se_dialog_recipe (d);
  if (!se_recipe_changes (r))
    return r->method == SE_METHOD_LEDITS_PP ? _("Add a concept") : _("Add a concept or a target prompt");
  return _("Model loaded: Generate makes a preview");
}

/* Candidate k as the dialog shows it: with "Keep original detail", its
 * change added to the region itself (se_image_result), as OK will do at
 * full resolution; otherwise as decoded.  Owned by the caller. */
static SeImage
displayed (SeDialog *d, guint k)
{
  const SeImage *r = &d->results[k];
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->detail)) && d->results_original.data) {
    g_autoptr (GError) error = NULL;
    SeImage shown = se_image_result (&d->results_original, r, &d->sources[k], r->width, r->height, &error);
    if (shown.data)
      return shown;
    g_warning ("%s", error->message);          /* out of memory: shown as decoded */
  }
  return (SeImage) { r->width, r->height, g_memdup2 (r->data, 3 * sizeof (float) * r->width * r->height) };
}

/* Candidate k's masks of an event or of the kept results (NULL: none). */
static const double *
masks_of (const double *masks, guint concepts, guint w, guint h, guint k)
{
  return masks ? masks + (gsize) k * concepts * w * h : NULL;
}

void
se_dialog_show_candidate (SeDialog *d, guint index)
{
  if (index >= d->n_results)
    return;
  SeImage shown = displayed (d, index);
  se_preview_set_masks (d->preview, masks_of (d->masks, d->mask_concepts, d->mask_w, d->mask_h, index),
                        d->mask_concepts, d->mask_w, d->mask_h);
  se_preview_set_result (d->preview, &shown);
  g_free (shown.data);
}

void
se_dialog_show_results (SeDialog *d)
{
  if (d->n_results == 0)
    return;
  g_autofree SeImage *shown = g_new (SeImage, d->n_results);
  for (guint k = 0; k < d->n_results; k++)
    shown[k] = displayed (d, k);
  se_candidates_set (d->candidates, shown, d->n_results, d->results_seed);
  for (guint k = 0; k < d->n_results; k++)
    g_free (shown[k].data);
  se_dialog_show_candidate (d, se_candidates_selected (d->candidates));
}

static SeImage *
copy_images (const SeImage *images, guint count)
{
  SeImage *copy = g_new (SeImage, count);
  for (guint i = 0; i < count; i++) {
    copy[i] = images[i];
    copy[i].data = g_memdup2 (images[i].data, 3 * sizeof (float) * images[i].width * images[i].height);
  }
  return copy;
}

void
se_dialog_clear_results (SeDialog *d)
{
  for (guint i = 0; i < d->n_results; i++) {
    g_free (d->results[i].data);
    g_free (d->sources[i].data);
  }
  g_clear_pointer (&d->results, g_free);
  g_clear_pointer (&d->sources, g_free);
  g_clear_pointer (&d->results_original.data, g_free);
  g_clear_pointer (&d->masks, g_free);
  d->mask_concepts = 0;
  d->n_results = 0;
}

static void
keep_results (SeDialog *d, const SePreviewEvent *ev)
{
  se_dialog_clear_results (d);
  d->results = copy_images (ev->images, ev->count);
  d->sources = copy_images (ev->sources, ev->count);
  d->n_results = ev->count;
  d->results_seed = d->job_seed;
  guint64 pixels = (guint64) ev->images[0].width * ev->images[0].height;
  if (ev->seconds_per_step > 0)
    d->step_seconds_per_pixel = ev->seconds_per_step / ev->count / pixels;
  g_autoptr (GError) error = NULL;
  d->results_original = se_image_resize (&d->region, ev->images[0].width, ev->images[0].height, &error);
  if (d->results_original.data == NULL)
    g_warning ("%s", error->message);          /* candidates are then shown as decoded */
  if (ev->masks) {
    d->masks = g_memdup2 (ev->masks, sizeof (double) * ev->count * ev->mask_concepts * ev->mask_w * ev->mask_h);
    d->mask_concepts = ev->mask_concepts;
    d->mask_w = ev->mask_w;
    d->mask_h = ev->mask_h;
  }
}

static void
on_event (const SePreviewEvent *ev, gpointer data)
{
  SeDialog *d = data;
  if (ev->job != d->job)
    return;     /* a job that was replaced */
  guint sel = se_candidates_selected (d->candidates);
  switch (ev->kind) {
  case SE_PREVIEW_STATUS:
    set_running (d, TRUE, ev->text, ev->fraction);
    break;
  case SE_PREVIEW_LOADED:
    g_free (d->loaded_model);
    d->loaded_model = g_strdup (ev->text);
    se_dialog_update_ok (d);
    if (ev->fraction == 1.0)    /* a load-only job: nothing more comes */
      set_running (d, FALSE, ready_text (d), 0.0);
    break;
  case SE_PREVIEW_STEP:
    set_running (d, TRUE, ev->text, ev->fraction);
    if (sel < ev->count) {
      se_preview_set_masks (d->preview, masks_of (ev->masks, ev->mask_concepts, ev->mask_w, ev->mask_h, sel),
                            ev->mask_concepts, ev->mask_w, ev->mask_h);
      se_preview_set_result (d->preview, &ev->images[sel]);
    }
    d->steps_shown++;
    d->step_masks_shown += ev->masks ? 1 : 0;
    break;
  case SE_PREVIEW_RESULT:
    keep_results (d, ev);
    se_dialog_show_results (d);
    se_dialog_update_cost (d);
    set_running (d, FALSE, _("Preview ready"), 1.0);
    d->jobs_done++;
    break;
  case SE_PREVIEW_FAILED:
    if (ev->model_failed) {
      g_clear_pointer (&d->loaded_model, g_free);
      se_dialog_update_ok (d);
    }
    se_dialog_show_message (d, ev->text, ev->model_failed);
    set_running (d, FALSE, _("Preview failed"), 0.0);
    d->jobs_failed++;
    break;
  case SE_PREVIEW_CANCELLED:
    set_running (d, FALSE, _("Stopped"), 0.0);
    break;
  }
}

void
se_dialog_stop_preview (SeDialog *d)
{
  if (d->debounce) {
    g_source_remove (d->debounce);
    d->debounce = 0;
  }
  if (d->cancel)
    g_cancellable_cancel (d->cancel);
  g_clear_object (&d->cancel);
}

void
se_dialog_start_preview (SeDialog *d)
{
  start_job (d, FALSE);
}

void
se_dialog_start_load (SeDialog *d)
{
  start_job (d, TRUE);
}

/* Starts a preview job, or one that only loads the model: with live
 * preview off, and while the values ask for no change (a preview would
 * only show the region reconstructed). */
static void
start_job (SeDialog *d, gboolean load_only)
{
  se_dialog_stop_preview (d);
  if (d->worker == NULL)
    return;
  d->job++;     /* whatever the old job still reports is ignored from now */
  const char *model = se_dialog_model_path (d);
  if (*model == '\0') {
    se_dialog_show_message (d, _("No model is set. Choose a Stable Diffusion 1.x model: a "
                                 "diffusers folder or a single .safetensors file."), TRUE);
    set_running (d, FALSE, _("No model"), 0.0);
    return;
  }
  g_autoptr (SeRecipe) full = se_dialog_recipe (d);
  g_autoptr (GError) error = NULL;
  if (!se_recipe_validate (full, &error)) {
    se_dialog_show_message (d, error->message, FALSE);
    set_running (d, FALSE, _("Preview failed"), 0.0);
    return;
  }
  se_dialog_hide_message (d);
  if (!se_recipe_changes (full))
    load_only = TRUE;
  if (load_only && g_strcmp0 (d->loaded_model, model) == 0) {
    set_running (d, FALSE, ready_text (d), 0.0);
    return;
  }
  SePreviewJob *j = g_new0 (SePreviewJob, 1);
  j->id = d->job;
  j->state = &d->state;
  j->model_path = g_strdup (model);
  j->region = &d->region;
  j->preview_side = d->preview_side;
  j->recipe = load_only ? NULL : se_recipe_with_steps (full, d->preview_steps);
  j->seed = (guint64) gtk_adjustment_get_value (d->seed);
  d->job_seed = (guint32) j->seed;
  j->candidates = d->held;
  j->cancel = g_cancellable_new ();
  j->on_event = on_event;
  j->on_event_data = d;
  d->cancel = g_object_ref (j->cancel);
  set_running (d, TRUE, load_only ? _("Loading the model…") : _("Starting the preview…"), 0.0);
  se_worker_queue (d->worker, se_preview_job_run, j, se_preview_job_free);
}
