/* test_dialog.c: the dialog outside GIMP, against the tiny reference model,
 * under Xvfb.  A script drives the real widgets the way a retoucher would:
 * waits for the first preview, adds a concept, types it, drags its strength
 * to "remove", stops a preview, turns live preview off and on, generates
 * two candidates, picks the second, turns "Keep original detail" off and
 * on (the preview switches at once, without a new job) and presses OK, checking after each step that a new preview (with
 * intermediate latent previews) arrived and differs from the one before;
 * Reset first, checked to restore the defaults.
 * Meanwhile a 10 ms timer measures the main loop's longest stall while the
 * engine works.  The chosen values and the handed-over model are checked
 * after OK, by running the final edit with them.  A screenshot of the dialog
 * goes to $SE_SCREENSHOT. */
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "dialog-private.h"
#include "presets.h"
#include "test-util.h"
#include "ui-test-util.h"

#define WAIT_S 300

static SeDialog *dlg;
static gint64 last_tick, max_gap_busy, busy_ticks;
static gboolean script_done;

/* The main loop's longest stall while a preview job runs. */
static gboolean
on_tick (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  if (dlg && dlg->running && last_tick) {
    max_gap_busy = MAX (max_gap_busy, now - last_tick);
    busy_ticks++;
  }
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
wait_for (SeUiCondition cond, const char *what)
{
  se_ui_test_wait_for (cond, WAIT_S, what);
}

static gboolean is_running (void) { return dlg->running; }
static gboolean is_idle (void) { return !dlg->running && dlg->debounce == 0; }

/* Waits for the next finished preview; fails on a failed one. */
static void
wait_preview (const char *what)
{
  se_ui_test_wait_preview (dlg, WAIT_S, what);
}

static gboolean
same_pixbuf (GdkPixbuf *a, GdkPixbuf *b)
{
  if (gdk_pixbuf_get_width (a) != gdk_pixbuf_get_width (b) ||
      gdk_pixbuf_get_height (a) != gdk_pixbuf_get_height (b))
    return FALSE;
  gsize n = (gsize) gdk_pixbuf_get_rowstride (a) * (gdk_pixbuf_get_height (a) - 1) +
            gdk_pixbuf_get_width (a) * 3;
  return memcmp (gdk_pixbuf_get_pixels (a), gdk_pixbuf_get_pixels (b), n) == 0;
}

static gboolean script (gpointer data);

static const guint8 *
pixel (GdkPixbuf *p, int x, int y)
{
  return gdk_pixbuf_read_pixels (p) + y * gdk_pixbuf_get_rowstride (p) + x * gdk_pixbuf_get_n_channels (p);
}

/* The selection's coverage the dialog is given: the region's left 40 %
 * fully, the rest 30 % (a feathered or partial selection). */
#define COVERED_SHARE 0.4
#define PARTIAL 0.3f

static double
srgb_to_linear (double v)
{
  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

static double
linear_to_srgb (double v)
{
  return v <= 0.0031308 ? v * 12.92 : 1.055 * pow (v, 1.0 / 2.4) - 0.055;
}

static GdkPixbuf *before_fit;   /* the region as the preview fits it */

/* The preview shows the edit as OK composes it: through the coverage, in
 * linear light (GIMP mixes a layer through its mask so): where covered, the
 * edit itself; where 30 % covered, 30 % of the way in linear light from the
 * region to the edit (an 8-bit step allowed). */
static void
assert_composed (GdkPixbuf *edit, GdkPixbuf *shown)
{
  int w = gdk_pixbuf_get_width (shown), h = gdk_pixbuf_get_height (shown);
  int edge = (int) lround (COVERED_SHARE * w);
  double m = lroundf (PARTIAL * 255.0f) / 255.0;      /* as the 8-bit coverage holds it */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      if (abs (x - edge) <= 3)
        continue;       /* the coverage's edge, resampled */
      for (int k = 0; k < 3; k++) {
        int got = pixel (shown, x, y)[k], e = pixel (edit, x, y)[k], b = pixel (before_fit, x, y)[k];
        double mix = linear_to_srgb (srgb_to_linear (b / 255.0) + m * (srgb_to_linear (e / 255.0) -
                                                                        srgb_to_linear (b / 255.0)));
        int want = x < edge ? e : (int) lround (mix * 255.0);
        if (abs (got - want) > 1)
          g_error ("preview pixel (%d, %d) channel %d is %d, composed through the coverage %d (edit %d, "
                   "region %d)", x, y, k, got, want, e, b);
      }
    }
}

/* 0: Reset (the dialog's response) brings back the defaults but keeps the
 * model; the dialog goes on running after it. */
static gboolean
after_reset (gpointer data)
{
  g_autoptr (SeRecipe) r = se_dialog_recipe (dlg);
  g_assert_cmpuint (r->steps, ==, SE_RECIPE_STEPS);
  g_assert_cmpuint (r->skip, ==, SE_RECIPE_SKIP);
  g_assert_cmpuint (r->concepts->len, ==, 0);
  g_assert_cmpuint (dlg->rows->len, ==, 1);   /* one empty row, its hint showing */
  g_assert_cmpstr (gtk_entry_get_text (se_concept_row_entry (dlg->rows->pdata[0])), ==, "");
  g_assert_cmpstr (se_dialog_model_path (dlg), ==, data);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->count), ==, 1);
  /* the defaults are the Normal intensity; Subtle sets its values together */
  GtkComboBox *preset = GTK_COMBO_BOX (dlg->preset);
  g_assert_cmpint (gtk_combo_box_get_active (preset), ==, SE_PRESET_NORMAL);
  gtk_combo_box_set_active (preset, SE_PRESET_SUBTLE);
  SeAdvanced subtle;
  se_preset_values (SE_PRESET_SUBTLE, SE_METHOD_LEDITS, SE_RECIPE_STEPS, &subtle);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->skip), ==, subtle.skip);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->warmup), ==, subtle.warmup);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->cfg_tar), ==, subtle.cfg_tar);
  /* what the rest of the script expects: values set by hand read Custom */
  gtk_adjustment_set_value (dlg->steps, 20);
  gtk_adjustment_set_value (dlg->skip, 4);
  gtk_adjustment_set_value (dlg->warmup, SE_RECIPE_WARMUP);
  gtk_adjustment_set_value (dlg->cfg_tar, SE_RECIPE_CFG_TAR);
  g_assert_cmpint (gtk_combo_box_get_active (preset), ==, SE_PRESET_COUNT);
  g_idle_add (script, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
before_reset (gpointer data)
{
  gtk_adjustment_set_value (dlg->steps, 33);
  gtk_adjustment_set_value (dlg->count, 3);
  gtk_button_clicked (GTK_BUTTON (dlg->add_concept));
  g_idle_add (after_reset, data);
  gtk_dialog_response (GTK_DIALOG (dlg->window), SE_DIALOG_RESPONSE_RESET);
  return G_SOURCE_REMOVE;
}

static gboolean model_failed (void) { return !dlg->running && dlg->jobs_failed > 0; }

static gboolean
script (gpointer data)
{
  /* 1: no concept and no target: the model loads (OK becomes available)
   * and the bar says what is missing; no preview of a mere reconstruction */
  se_ui_test_wait_loaded (dlg, WAIT_S, "the model");
  g_assert_cmpuint (dlg->jobs_done, ==, 0);
  g_assert_cmpstr (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (dlg->progress)), ==,
                   "Add a concept or a target prompt");
  g_assert_null (gtk_widget_get_tooltip_text (dlg->ok));
  guint updates = se_preview_updates (dlg->preview);
  g_autoptr (GdkPixbuf) first = se_ui_test_displayed (dlg);
  /* another model path: OK waits for it, and a path that does not load
   * keeps it unavailable, saying why */
  g_autofree char *model = g_strdup (se_dialog_model_path (dlg));
  gtk_entry_set_text (GTK_ENTRY (dlg->model_entry), "/no/such/model");
  g_assert_false (gtk_widget_get_sensitive (dlg->ok));
  wait_for (model_failed, "the missing model's message");
  g_assert_false (gtk_widget_get_sensitive (dlg->ok));
  g_autofree char *why = gtk_widget_get_tooltip_text (dlg->ok);
  g_assert_nonnull (strstr (why, "once the model has loaded"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (dlg->message_label)), "/no/such/model"));
  gtk_entry_set_text (GTK_ENTRY (dlg->model_entry), model);
  se_ui_test_wait_loaded (dlg, WAIT_S, "the model again");

  /* 2: type a concept into the empty row: one debounced preview for the typing */
  g_assert_cmpuint (dlg->rows->len, ==, 1);
  SeConceptRow *row = dlg->rows->pdata[0];
  guint jobs_before = dlg->job;
  const char *word = "snowy winter";
  for (const char *c = word; *c; c++) {
    char ch[2] = { *c, 0 };
    gint pos = -1;
    gtk_editable_insert_text (GTK_EDITABLE (se_concept_row_entry (row)), ch, 1, &pos);
  }
  guint steps = dlg->steps_shown;
  wait_preview ("the preview with a concept");
  g_assert_cmpuint (dlg->job, ==, jobs_before + 1);     /* typing was debounced into one job */
  /* the bar counted the steps ("Editing: step 3 of 4, about 1 s left") */
  g_assert_cmpuint (dlg->steps_shown, >=, 1);
  g_assert_cmpuint (dlg->steps_shown, >, steps);        /* intermediate previews came */
  g_assert_cmpuint (se_preview_updates (dlg->preview), >, updates);
  g_autoptr (GdkPixbuf) with_concept = se_ui_test_displayed (dlg);
  g_assert_false (same_pixbuf (first, with_concept));

  /* 3: drag the strength through zero to "remove", in small moves */
  GtkAdjustment *strength = se_concept_row_strength (row);
  max_gap_busy = busy_ticks = 0;
  for (double v = gtk_adjustment_get_value (strength); v > -9.0; v -= 1.0) {
    gtk_adjustment_set_value (strength, v);
    g_usleep (20000);
    while (gtk_events_pending ())
      gtk_main_iteration ();
  }
  gtk_adjustment_set_value (strength, -9.0);
  wait_preview ("the preview after the drag");
  g_autoptr (GdkPixbuf) removed = se_ui_test_displayed (dlg);
  g_assert_false (same_pixbuf (with_concept, removed));
  g_autoptr (SeRecipe) r = se_dialog_recipe (dlg);
  g_assert_cmpuint (r->concepts->len, ==, 1);
  g_assert_true (g_array_index (r->concepts, SeConcept, 0).reverse);
  g_assert_cmpfloat (g_array_index (r->concepts, SeConcept, 0).scale, ==, 9.0);

  /* 4: the main loop kept running while the engine worked */
  g_printerr ("# main loop: %" G_GINT64_FORMAT " ticks while busy, longest stall %.1f ms\n",
              busy_ticks, max_gap_busy / 1000.0);
  g_assert_cmpint (busy_ticks, >, 10);
  g_assert_cmpint (max_gap_busy, <, 500 * 1000);

  /* 5: Stop ends a running preview, and the next change starts again */
  gtk_entry_set_text (GTK_ENTRY (dlg->tar_entry), "a photo in winter");
  wait_for (is_running, "a preview to start");
  gtk_button_clicked (GTK_BUTTON (dlg->stop));
  wait_for (is_idle, "the stopped preview");
  g_assert_cmpstr (gtk_progress_bar_get_text (GTK_PROGRESS_BAR (dlg->progress)), ==, "Stopped");

  /* 6: with live preview off a change starts nothing; on again, it catches up */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dlg->live), FALSE);
  guint job = dlg->job;
  gtk_adjustment_set_value (se_concept_row_threshold (row), 0.9);
  gint64 until = g_get_monotonic_time () + 800 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (dlg->job, ==, job);
  g_assert_false (dlg->running);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dlg->live), TRUE);
  wait_preview ("the preview after live preview came back on");
  g_assert_cmpuint (dlg->job, ==, job + 1);

  /* 7: two candidates, the second picked */
  gtk_adjustment_set_value (dlg->count, 2);
  gtk_button_clicked (GTK_BUTTON (dlg->generate));
  wait_preview ("two candidates");
  g_assert_cmpuint (se_candidates_count (dlg->candidates), ==, 2);
  g_assert_true (gtk_widget_get_visible (se_candidates_widget (dlg->candidates)));
  g_assert_cmpuint (dlg->n_results, ==, 2);
  gsize n = 3 * (gsize) dlg->results[0].width * dlg->results[0].height;
  g_assert_true (memcmp (dlg->results[0].data, dlg->results[1].data, n * sizeof (float)) != 0);
  gtk_button_clicked (se_candidates_button (dlg->candidates, 1));
  g_assert_cmpuint (se_candidates_selected (dlg->candidates), ==, 1);
  /* shown with "Keep original detail" (on by default): the candidate's
   * change on the region itself, as OK will make it */
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (dlg->detail)));
  const SeImage *r1 = &dlg->results[1];
  SeImage small = se_image_resize (&dlg->region, r1->width, r1->height, NULL);
  SeImage kept = se_image_result (&small, r1, &dlg->sources[1], r1->width, r1->height, NULL);
  guint side = (guint) MAX (gdk_pixbuf_get_width (first), gdk_pixbuf_get_height (first));
  double vx = (double) dlg->visible_w / dlg->region.width, vy = (double) dlg->visible_h / dlg->region.height;
  double aspect = (double) dlg->visible_w / dlg->visible_h;
  g_autoptr (GdkPixbuf) want = se_preview_pixbuf (&kept, vx, vy, aspect, side);
  g_autoptr (GdkPixbuf) shown = se_ui_test_displayed (dlg);
  assert_composed (want, shown);
  g_free (small.data);
  g_free (kept.data);
  /* off: the candidate as decoded, at once and without another job */
  guint jobs = dlg->job;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dlg->detail), FALSE);
  g_autoptr (GdkPixbuf) as_decoded = se_preview_pixbuf (r1, vx, vy, aspect, side);
  g_autoptr (GdkPixbuf) shown_off = se_ui_test_displayed (dlg);
  assert_composed (as_decoded, shown_off);
  g_assert_false (same_pixbuf (shown, shown_off));
  g_autoptr (SeRecipe) off = se_dialog_recipe (dlg);
  g_assert_false (off->detail);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (dlg->detail), TRUE);
  g_autoptr (GdkPixbuf) shown_on = se_ui_test_displayed (dlg);
  g_assert_true (same_pixbuf (shown, shown_on));
  g_assert_cmpuint (dlg->job, ==, jobs);

  /* the region as it is; before and after, split where the divider is */
  GtkComboBox *show = se_preview_show_combo (dlg->preview);
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_BEFORE);
  g_autoptr (GdkPixbuf) original = se_ui_test_displayed (dlg);
  g_assert_true (same_pixbuf (original, before_fit));
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_SPLIT);
  se_preview_set_split (dlg->preview, 0.25);
  g_autoptr (GdkPixbuf) split = se_ui_test_displayed (dlg);
  int w = gdk_pixbuf_get_width (split), cut = (int) lround (0.25 * w);
  for (int y = 0; y < gdk_pixbuf_get_height (split); y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < 3; k++)
        g_assert_cmpint (pixel (split, x, y)[k], ==, pixel (x < cut ? original : shown, x, y)[k]);
  /* 1:1: the region's own pixels, the view the same */
  gtk_toggle_button_set_active (se_preview_zoom_toggle (dlg->preview), TRUE);
  gtk_toggle_button_set_active (se_preview_zoom_toggle (dlg->preview), FALSE);
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_RESULT);
  g_autoptr (GdkPixbuf) again = se_ui_test_displayed (dlg);
  g_assert_true (same_pixbuf (again, shown));
  /* LEDITS: no masks to show; choosing them shows the result */
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_MASKS);
  g_assert_cmpint (gtk_combo_box_get_active (show), ==, SE_PREVIEW_SHOW_RESULT);
  g_assert_cmpuint (dlg->step_masks_shown, ==, 0);
  g_assert_null (dlg->masks);

  se_ui_test_screenshot (dlg->window, g_getenv ("SE_SCREENSHOT"));
  script_done = TRUE;
  gtk_dialog_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_OK);
  return G_SOURCE_REMOVE;
}

/* 8: OK's edit failed (as a full disk would make it): the dialog stayed
 * open with the message, nothing typed lost; once the model has loaded
 * again, OK runs the edit again. */
static gboolean
after_failed_ok (gpointer data)
{
  g_assert_true (gtk_widget_get_visible (dlg->window));
  g_assert_true (gtk_widget_get_visible (dlg->message_box));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (dlg->message_label)), ==, "no space for the result (test)");
  g_autoptr (SeRecipe) r = se_dialog_recipe (dlg);
  g_assert_cmpuint (r->concepts->len, ==, 1);
  g_assert_cmpstr (g_array_index (r->concepts, SeConcept, 0).prompt, ==, "snowy winter");
  se_ui_test_wait_loaded (dlg, WAIT_S, "the model after the failed OK");
  gtk_dialog_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_OK);
  return G_SOURCE_REMOVE;
}

/* What OK hands over: the values shown, the selected candidate's seed. */
static void
assert_chosen (const SeDialogValues *chosen, const char *model)
{
  g_assert_cmpstr (chosen->model, ==, model);
  g_assert_cmpuint (chosen->seed, ==, 12);       /* candidate 2 of seed 11 */
  g_assert_cmpuint (chosen->candidate, ==, 1);
  g_assert_cmpuint (chosen->candidates, ==, 2);
  g_assert_cmpuint (chosen->recipe->steps, ==, 20);
  g_assert_cmpstr (chosen->recipe->tar, ==, "a photo in winter");
  g_assert_cmpuint (chosen->recipe->concepts->len, ==, 1);
  const SeConcept *c = &g_array_index (chosen->recipe->concepts, SeConcept, 0);
  g_assert_cmpstr (c->prompt, ==, "snowy winter");
  g_assert_true (c->reverse);
  g_assert_cmpfloat (c->threshold, ==, 0.9);
  g_assert_true (chosen->live_preview);
  g_assert_true (chosen->recipe->detail);
}

static guint applies;

/* OK's apply: the first fails; the second runs the final edit with the
 * values and the model handed over, at full size and steps. */
static gboolean
final_edit (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *loaded, gpointer data,
            GError **error)
{
  applies++;
  g_assert_false (gtk_widget_get_sensitive (d->ok));
  assert_chosen (chosen, se_dialog_model_path (d));
  if (applies == 1) {
    se_model_free (loaded);
    se_engine_free (engine);
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no space for the result (test)");
    g_idle_add (after_failed_ok, NULL);
    return FALSE;
  }
  SeImage out = se_ui_test_final_edit (data, chosen, engine, loaded);
  g_free (out.data);
  return TRUE;
}

int
main (int argc, char **argv)
{
  se_ui_test_init (&argc, &argv);
  g_autofree char *model = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  SeImage region = se_ui_test_region ();
  g_autofree float *px = region.data;
  g_autoptr (SeRecipe) recipe = se_recipe_new ();
  recipe->steps = 20;
  recipe->skip = 4;
  SeDialogValues initial = { model, recipe, 11, 1, TRUE, 0 };
  g_autofree float *coverage = g_new (float, region.width * region.height);
  for (guint y = 0; y < region.height; y++)
    for (guint x = 0; x < region.width; x++)
      coverage[y * region.width + x] = x < COVERED_SHARE * 180 ? 1.0f : PARTIAL;
  before_fit = se_preview_pixbuf (&region, 180.0 / region.width, 120.0 / region.height, 1.5, 360);
  dlg = se_dialog_new (&region, 180, 120, coverage, &initial, se_ui_test_help, "plug-in-semantic-edit");
  g_timeout_add (10, on_tick, NULL);
  g_idle_add (before_reset, model);
  /* before the model has loaded, OK is not available, and says why */
  g_assert_false (gtk_widget_get_sensitive (dlg->ok));
  g_autofree char *why = gtk_widget_get_tooltip_text (dlg->ok);
  g_assert_nonnull (why);
  SeDialogValues chosen = { 0 };
  g_assert_true (se_dialog_run (dlg, final_edit, &region, &chosen));
  g_assert_true (script_done);
  g_assert_cmpuint (applies, ==, 2);    /* the first OK failed, the dialog stayed */
  /* the values the dialog closed with: the plug-in's last values */
  assert_chosen (&chosen, model);
  se_dialog_free (dlg);
  se_dialog_values_clear (&chosen);
  return 0;
}
