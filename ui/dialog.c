/* dialog.c: the Semantic Edit dialog's layout, values and run (dialog.h);
 * the live preview's jobs are in dialog-jobs.c. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dialog-private.h"

#include "presets.h"
#include "step-progress.h"

#define MAX_CANDIDATES 8
/* the preview: long side in pixels and steps (the tests shrink them) */
#define PREVIEW_SIDE 256
#define PREVIEW_STEPS 12
#define DEBOUNCE_MS 300

void
se_dialog_values_clear (SeDialogValues *v)
{
  g_clear_pointer (&v->model, g_free);
  g_clear_pointer (&v->recipe, se_recipe_free);
}

void
se_dialog_values_to_record (const SeDialogValues *v, SeEditRecord *rec)
{
  g_free (rec->model);
  se_recipe_free (rec->recipe);
  rec->model = g_strdup (v->model);
  rec->recipe = se_recipe_copy (v->recipe);
  rec->seed = (gint32) v->seed;
  rec->candidate = v->candidate;
}

static char *readme_path;

void
se_dialog_set_readme (const char *path)
{
  g_free (readme_path);
  readme_path = g_strdup (path);
}

static guint
env_uint (const char *name, guint fallback, guint lo, guint hi)
{
  const char *s = g_getenv (name);
  guint64 v = s ? g_ascii_strtoull (s, NULL, 10) : 0;
  return v >= lo && v <= hi ? (guint) v : fallback;
}

const char *
se_dialog_model_path (SeDialog *d)
{
  static char *stripped;    /* main thread only */
  g_free (stripped);
  stripped = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (d->model_entry))));
  return stripped;
}

static char *
entry_text (GtkWidget *entry)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (entry))));
}

static SeMethod
method_chosen (SeDialog *d)
{
  return gtk_combo_box_get_active (GTK_COMBO_BOX (d->method)) == 1 ? SE_METHOD_LEDITS_PP : SE_METHOD_LEDITS;
}

SeRecipe *
se_dialog_recipe (SeDialog *d)
{
  SeRecipe *r = se_recipe_new_for (method_chosen (d));
  gboolean pp = r->method == SE_METHOD_LEDITS_PP;
  r->masks = (SeMaskMode) MAX (gtk_combo_box_get_active (GTK_COMBO_BOX (d->masks_kind)), 0);
  r->steps = (guint) gtk_adjustment_get_value (d->steps);
  r->skip = MIN ((guint) gtk_adjustment_get_value (d->skip), r->steps - 1);
  g_free (r->src);
  r->src = entry_text (d->src_entry);
  g_free (r->tar);
  r->tar = pp ? g_strdup ("") : entry_text (d->tar_entry);     /* LEDITS++ has no target prompt */
  r->cfg_src = gtk_adjustment_get_value (d->cfg_src);
  r->cfg_tar = gtk_adjustment_get_value (d->cfg_tar);
  r->mom_scale = gtk_adjustment_get_value (d->mom_scale);
  r->mom_beta = gtk_adjustment_get_value (d->mom_beta);
  r->detail = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->detail));
  guint warmup = (guint) gtk_adjustment_get_value (d->warmup);
  for (guint i = 0; i < d->rows->len; i++)
    se_concept_row_add_to (d->rows->pdata[i], r, warmup);
  return r;
}

void
se_dialog_show_message (SeDialog *d, const char *message, gboolean model_hint)
{
  gtk_label_set_text (GTK_LABEL (d->message_label), message);
  gtk_widget_set_visible (d->model_hint, model_hint);
  gtk_widget_show (d->message_box);
}

void
se_dialog_hide_message (SeDialog *d)
{
  gtk_widget_hide (d->message_box);
}

void
se_dialog_update_cost (SeDialog *d)
{
  g_autoptr (SeRecipe) r = se_dialog_recipe (d);
  guint steps = se_recipe_inverted_steps (r) + (r->steps - r->skip);
  guint preview_steps = MIN (d->preview_steps, r->steps);
  g_autofree char *text = NULL;
  if (d->step_seconds_per_pixel > 0) {
    double pixels = (double) d->region.width * d->region.height;
    g_autofree char *time = se_step_progress_duration (d->step_seconds_per_pixel * pixels * (steps + 1));
    text = g_strdup_printf (_("OK renders %u steps at %u × %u, %s (the preview: %u steps, at most %u pixels a "
                              "side)"), steps, d->region.width, d->region.height, time, preview_steps,
                            d->preview_side);
  } else {
    text = g_strdup_printf (_("OK renders %u steps at %u × %u (the preview: %u steps, at most %u pixels a side)"),
                            steps, d->region.width, d->region.height, preview_steps, d->preview_side);
  }
  gtk_label_set_text (GTK_LABEL (d->cost), text);
}

void
se_dialog_on_changed (SeDialog *d)
{
  se_dialog_update_cost (d);
  se_dialog_request_preview (d, DEBOUNCE_MS);
}

void
se_dialog_update_ok (SeDialog *d)
{
  const char *model = se_dialog_model_path (d);
  gboolean loaded = *model && g_strcmp0 (d->loaded_model, model) == 0;
  gtk_widget_set_sensitive (d->ok, loaded && !d->applying);
  gimp_help_set_help_data (d->ok, loaded ? NULL
                                         : *model ? _("Available once the model has loaded (the bar under the "
                                                      "preview shows how far it is)")
                                                  : _("Available once a model is chosen and has loaded"),
                           NULL);
}

/* A new model path: OK waits for it to load; with live preview off it is
 * loaded all the same. */
void
se_dialog_on_model_changed (SeDialog *d)
{
  se_dialog_update_ok (d);
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)))
    se_dialog_on_changed (d);
  else
    se_dialog_request_load (d, DEBOUNCE_MS);
}

/* ---- concepts ---- */

static void on_remove_concept (GtkButton *button, SeDialog *d);
static void color_rows (SeDialog *d);

static SeConceptRow *
add_row (SeDialog *d, const SeConcept *c)
{
  SeConceptRow *row = se_concept_row_new (c, G_CALLBACK (se_dialog_on_changed), G_CALLBACK (on_remove_concept), d);
  gtk_box_pack_start (GTK_BOX (d->concepts_box), se_concept_row_widget (row), FALSE, FALSE, 0);
  g_ptr_array_add (d->rows, row);
  color_rows (d);
  return row;
}

/* With LEDITS++ each row shows its mask's colour (by its place). */
static void
color_rows (SeDialog *d)
{
  gboolean pp = method_chosen (d) == SE_METHOD_LEDITS_PP;
  for (guint i = 0; i < d->rows->len; i++) {
    guint8 rgb[3];
    se_preview_mask_color (i, rgb);
    se_concept_row_set_swatch (d->rows->pdata[i], pp ? rgb : NULL);
  }
}

static void
on_remove_concept (GtkButton *button, SeDialog *d)
{
  SeConceptRow *row = g_object_get_data (G_OBJECT (button), "se-concept-row");
  g_ptr_array_remove (d->rows, row);
  gtk_widget_destroy (se_concept_row_widget (row));
  color_rows (d);
  se_dialog_on_changed (d);
}

void
se_dialog_on_add_concept (SeDialog *d)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method_chosen (d));
  SeConceptRow *row = add_row (d, se_recipe_add_concept (defaults, ""));
  gtk_widget_grab_focus (GTK_WIDGET (se_concept_row_entry (row)));
  /* an empty concept changes nothing: the preview waits for its text */
}

/* ---- values ---- */

/* The method's default warm-up for its concepts. */
static guint
default_warmup (SeMethod method)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method);
  return se_recipe_add_concept (defaults, "")->warmup;
}

/* What applies to the method shown: LEDITS++ has no target prompt and no
 * momentum, LEDITS no masks. */
static void
method_sensitivity (SeDialog *d)
{
  gboolean pp = method_chosen (d) == SE_METHOD_LEDITS_PP;
  gtk_widget_set_sensitive (d->tar_entry, !pp);
  gtk_widget_set_sensitive (d->tar_label, !pp);
  gtk_widget_set_sensitive (d->masks_kind, pp);
  gtk_widget_set_sensitive (d->masks_label, pp);
  se_ui_scale_entry_set_sensitive (d->cfg_tar, !pp);
  se_ui_scale_entry_set_sensitive (d->mom_scale, !pp);
  se_ui_scale_entry_set_sensitive (d->mom_beta, !pp);
  se_preview_set_masks_available (d->preview, pp);
  color_rows (d);
}

/* The advanced values the widgets hold. */
static SeAdvanced
advanced_shown (SeDialog *d)
{
  return (SeAdvanced) { .skip = (guint) gtk_adjustment_get_value (d->skip),
                        .warmup = (guint) gtk_adjustment_get_value (d->warmup),
                        .cfg_src = gtk_adjustment_get_value (d->cfg_src),
                        .cfg_tar = gtk_adjustment_get_value (d->cfg_tar),
                        .mom_scale = gtk_adjustment_get_value (d->mom_scale),
                        .mom_beta = gtk_adjustment_get_value (d->mom_beta) };
}

/* Intensity shows the preset the advanced values are, or Custom. */
static void
show_preset (SeDialog *d)
{
  SeAdvanced v = advanced_shown (d);
  int p = se_preset_matching (method_chosen (d), (guint) gtk_adjustment_get_value (d->steps), &v);
  gboolean was = d->setting;
  d->setting = TRUE;
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->preset), p >= 0 ? p : SE_PRESET_COUNT);
  d->setting = was;
}

void
se_dialog_on_preset_chosen (SeDialog *d)
{
  int p = gtk_combo_box_get_active (GTK_COMBO_BOX (d->preset));
  if (d->setting || p < 0 || p >= SE_PRESET_COUNT) {
    if (!d->setting)
      show_preset (d);          /* Custom is not a choice: it names values set by hand */
    return;
  }
  SeAdvanced v;
  se_preset_values ((SePreset) p, method_chosen (d), (guint) gtk_adjustment_get_value (d->steps), &v);
  d->setting = TRUE;
  gtk_adjustment_set_value (d->skip, v.skip);
  gtk_adjustment_set_value (d->warmup, v.warmup);
  gtk_adjustment_set_value (d->cfg_src, v.cfg_src);
  gtk_adjustment_set_value (d->cfg_tar, v.cfg_tar);
  gtk_adjustment_set_value (d->mom_scale, v.mom_scale);
  gtk_adjustment_set_value (d->mom_beta, v.mom_beta);
  d->setting = FALSE;
  se_dialog_on_changed (d);
}

void
se_dialog_on_advanced_changed (SeDialog *d)
{
  if (d->setting)
    return;
  show_preset (d);
  se_dialog_on_changed (d);
}

static void
set_advanced (SeDialog *d, const SeRecipe *r)
{
  d->method_shown = r->method;
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->method), r->method == SE_METHOD_LEDITS_PP ? 1 : 0);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->masks_kind), (gint) r->masks);
  method_sensitivity (d);
  gtk_adjustment_set_value (d->steps, r->steps);
  gtk_adjustment_set_value (d->skip, r->skip);
  gtk_adjustment_set_value (d->cfg_src, r->cfg_src);
  gtk_adjustment_set_value (d->cfg_tar, r->cfg_tar);
  gtk_adjustment_set_value (d->warmup, r->concepts->len ? g_array_index (r->concepts, SeConcept, 0).warmup
                                                        : default_warmup (r->method));
  gtk_adjustment_set_value (d->mom_scale, r->mom_scale);
  gtk_adjustment_set_value (d->mom_beta, r->mom_beta);
  show_preset (d);
}

static void
set_values (SeDialog *d, const SeDialogValues *v)
{
  d->setting = TRUE;
  gtk_entry_set_text (GTK_ENTRY (d->model_entry), v->model ? v->model : "");
  const SeRecipe *r = v->recipe;
  gtk_entry_set_text (GTK_ENTRY (d->src_entry), r->src);
  gtk_entry_set_text (GTK_ENTRY (d->tar_entry), r->tar);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->detail), r->detail);
  set_advanced (d, r);
  while (d->rows->len)
    gtk_widget_destroy (se_concept_row_widget (g_ptr_array_steal_index (d->rows, d->rows->len - 1)));
  for (guint i = 0; i < r->concepts->len; i++)
    add_row (d, &g_array_index (r->concepts, SeConcept, i));
  if (r->concepts->len == 0) {  /* an empty row to type into, its hint showing */
    g_autoptr (SeRecipe) defaults = se_recipe_new_for (r->method);
    add_row (d, se_recipe_add_concept (defaults, ""));
  }
  gtk_adjustment_set_value (d->seed, v->seed);
  gtk_adjustment_set_value (d->count, CLAMP (v->candidates, 1, MAX_CANDIDATES));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->live), v->live_preview);
  d->setting = FALSE;
}

/* A new method: the step counts and warm-up that are still the old
 * method's defaults become the new one's. */
void
se_dialog_on_method_changed (SeDialog *d)
{
  SeMethod now = method_chosen (d);
  if (d->setting || now == d->method_shown)
    return;
  g_autoptr (SeRecipe) old = se_recipe_new_for (d->method_shown);
  g_autoptr (SeRecipe) fresh = se_recipe_new_for (now);
  d->setting = TRUE;
  if ((guint) gtk_adjustment_get_value (d->steps) == old->steps &&
      (guint) gtk_adjustment_get_value (d->skip) == old->skip) {
    gtk_adjustment_set_value (d->steps, fresh->steps);
    gtk_adjustment_set_value (d->skip, fresh->skip);
  }
  if ((guint) gtk_adjustment_get_value (d->warmup) == default_warmup (d->method_shown))
    gtk_adjustment_set_value (d->warmup, default_warmup (now));
  d->setting = FALSE;
  d->method_shown = now;
  method_sensitivity (d);
  show_preset (d);
  se_dialog_on_changed (d);
}

/* ---- buttons ---- */

void
se_dialog_on_generate (SeDialog *d)
{
  d->held = (guint) gtk_adjustment_get_value (d->count);
  se_dialog_start_preview (d);
}

void
se_dialog_on_live_toggled (SeDialog *d)
{
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live))) {
    se_dialog_request_preview (d, 0);
  } else {
    se_dialog_stop_preview (d);
    se_dialog_request_load (d, 0);      /* a load the preview stopped still enables OK */
  }
}

SeDialog *
se_dialog_new (const SeImage *region, guint visible_w, guint visible_h, const float *coverage,
               const SeDialogValues *initial, GimpHelpFunc help, const char *help_id)
{
  SeDialog *d = g_new0 (SeDialog, 1);
  d->region = *region;
  d->region.data = g_memdup2 (region->data, 3 * sizeof (float) * region->width * region->height);
  d->visible_w = visible_w;
  d->visible_h = visible_h;
  d->rows = g_ptr_array_new ();
  d->preview_side = env_uint ("SE_PREVIEW_SIZE", PREVIEW_SIDE, 64, 1024);
  d->preview_steps = env_uint ("SE_PREVIEW_STEPS", PREVIEW_STEPS, 2, 100);
  d->held = 1;
  g_autoptr (GError) error = NULL;
  d->worker = se_worker_new (&error);
  if (d->worker == NULL)
    g_warning ("no worker thread, no preview: %s", error->message);

  se_dialog_build (d, coverage, help, help_id, readme_path ? readme_path : SE_DOCDIR "/README.md");
  set_values (d, initial);
  se_dialog_update_ok (d);
  se_dialog_update_cost (d);
  return d;
}

GtkWidget *
se_dialog_window (SeDialog *d)
{
  return d->window;
}

static void start_work (SeDialog *d);

static void
reset (SeDialog *d)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method_chosen (d));
  g_autofree char *model = g_strdup (se_dialog_model_path (d));
  SeDialogValues v = { model, defaults, (guint32) gtk_adjustment_get_value (d->seed), 1,
                       gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)), 0 };
  set_values (d, &v);
  d->held = 1;
  start_work (d);
}

/* What the dialog shows, as values (seed: the selected candidate's). */
static void
read_values (SeDialog *d, SeDialogValues *v)
{
  se_dialog_values_clear (v);
  const char *model = se_dialog_model_path (d);
  v->model = *model ? g_strdup (model) : NULL;
  v->recipe = se_dialog_recipe (d);
  guint selected = se_candidates_selected (d->candidates);
  v->candidate = selected < d->held ? selected : 0;
  v->seed = (guint32) gtk_adjustment_get_value (d->seed) + v->candidate;
  v->candidates = (guint) gtk_adjustment_get_value (d->count);
  v->live_preview = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live));
}

/* The engine and model the closed worker loaded for `model`, or FALSE. */
static gboolean
take_model (SeDialog *d, const char *model, SeEngine **engine, SeModel **loaded)
{
  if (d->worker || d->state.model == NULL || g_strcmp0 (d->state.model_path, model) != 0)
    return FALSE;
  g_clear_pointer (&d->state.session, se_session_free);
  g_clear_pointer (&d->state.model_path, g_free);
  g_clear_pointer (&d->loaded_model, g_free);
  *engine = g_steal_pointer (&d->state.engine);
  *loaded = g_steal_pointer (&d->state.model);
  return TRUE;
}

/* Live preview on: a preview; off: the model loads, for OK. */
static void
start_work (SeDialog *d)
{
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)))
    se_dialog_start_preview (d);
  else
    se_dialog_request_load (d, 0);
}

/* OK's apply, with the dialog open and insensitive; FALSE (error set) when
 * it failed: the dialog starts its worker again. */
static gboolean
apply_ok (SeDialog *d, SeDialogApply apply, gpointer data, const SeDialogValues *values, GError **error)
{
  SeEngine *engine = NULL;
  SeModel *model = NULL;
  take_model (d, values->model, &engine, &model);
  d->applying = TRUE;
  se_dialog_update_ok (d);
  GtkWidget *content = gtk_dialog_get_content_area (GTK_DIALOG (d->window));
  GtkWidget *actions = gtk_widget_get_parent (d->ok);   /* the buttons' row */
  gtk_widget_set_sensitive (content, FALSE);
  gtk_widget_set_sensitive (actions, FALSE);
  gtk_widget_set_sensitive (d->progress, TRUE);
  gboolean ok = apply (d, values, engine, model, data, error);
  gtk_widget_set_sensitive (content, TRUE);
  gtk_widget_set_sensitive (actions, TRUE);
  d->applying = FALSE;
  if (!ok) {   /* the model loads again for the next OK; the message stays until a change */
    d->worker = se_worker_new (NULL);
    se_dialog_start_load (d);
    se_dialog_show_message (d, *error ? (*error)->message : _("Semantic Edit failed."), FALSE);
  }
  se_dialog_update_ok (d);
  return ok;
}

gboolean
se_dialog_run (SeDialog *d, SeDialogApply apply, gpointer data, SeDialogValues *values)
{
  gtk_widget_show (d->window);
  start_work (d);
  gboolean applied = FALSE;
  for (;;) {
    gint response = gimp_dialog_run (GIMP_DIALOG (d->window));
    if (response == SE_DIALOG_RESPONSE_RESET) {
      reset (d);
      continue;
    }
    /* stop the preview and wait for the worker (at most one UNet evaluation) */
    se_dialog_stop_preview (d);
    se_worker_close (d->worker);
    d->worker = NULL;
    read_values (d, values);
    if (response != GTK_RESPONSE_OK)
      break;
    g_autoptr (GError) error = NULL;
    if ((applied = apply_ok (d, apply, data, values, &error)))
      break;
  }
  gtk_widget_hide (d->window);
  return applied;
}

void
se_dialog_set_reopened (SeDialog *d, const char *layer_name)
{
  g_autofree char *title = g_strdup_printf (_("Semantic Edit: re-opened “%s”"), layer_name);
  gtk_window_set_title (GTK_WINDOW (d->window), title);
  gtk_button_set_label (GTK_BUTTON (d->ok), _("Update La_yer"));
}

void
se_dialog_set_progress (SeDialog *d, const char *text, double fraction)
{
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress), text);
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress), MIN (fraction, 1.0));
  while (gtk_events_pending ())
    gtk_main_iteration_do (FALSE);
}

void
se_dialog_free (SeDialog *d)
{
  if (d == NULL)
    return;
  se_dialog_stop_preview (d);
  se_worker_close (d->worker);
  se_engine_state_clear (&d->state);
  g_free (d->loaded_model);
  gtk_widget_destroy (d->window);
  se_dialog_clear_results (d);
  g_ptr_array_unref (d->rows);
  g_free (d->region.data);
  g_free (d);
}
