/* test_dialog_masks.c: LEDITS++ in the dialog, under Xvfb, against the tiny
 * reference model.  Choosing the method turns the step counts and warm-up
 * (still at LEDITS's defaults) into LEDITS++'s and the target prompt and
 * momentum off; its previews bring each concept's mask with every step and
 * with the result; the masks view tints exactly where a mask is set, in the
 * concept's own colour, over the region as it is (at the region's aspect),
 * and leaves every other pixel as it was; the masks
 * kind reaches the recipe, and OK hands over a LEDITS++ recipe that the
 * engine runs.  A screenshot with two concepts' masks shown goes to
 * $SE_SCREENSHOT. */
#include <gtk/gtk.h>
#include <stdlib.h>
#include <string.h>

#include "dialog-private.h"
#include "test-util.h"
#include "ui-test-util.h"

#define WAIT_S 300

static SeDialog *dlg;
static gboolean script_done;

/* Waits for the next finished preview; fails on a failed one. */
static void
wait_preview (const char *what)
{
  se_ui_test_wait_preview (dlg, WAIT_S, what);
}

/* The shown pixbuf with "Show masks" against without: a pixel changes
 * exactly where some concept's mask (sampled as the preview maps it) is
 * set, and moves towards that concept's colour.  Returns the tinted
 * pixels. */
static guint
check_tint (GdkPixbuf *plain, GdkPixbuf *tinted, guint candidate)
{
  int w = gdk_pixbuf_get_width (plain), h = gdk_pixbuf_get_height (plain);
  g_assert_cmpint (gdk_pixbuf_get_width (tinted), ==, w);
  g_assert_cmpint (gdk_pixbuf_get_height (tinted), ==, h);
  int sp = gdk_pixbuf_get_rowstride (plain), st = gdk_pixbuf_get_rowstride (tinted);
  int np = gdk_pixbuf_get_n_channels (plain), nt = gdk_pixbuf_get_n_channels (tinted);
  const guint8 *pp = gdk_pixbuf_get_pixels (plain), *pt = gdk_pixbuf_get_pixels (tinted);
  double vx = (double) dlg->visible_w / dlg->region.width, vy = (double) dlg->visible_h / dlg->region.height;
  guint C = dlg->mask_concepts, lw = dlg->mask_w, lh = dlg->mask_h, count = 0;
  const double *m = dlg->masks + (gsize) candidate * C * lw * lh;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint mx = MIN ((guint) ((x + 0.5) / w * vx * lw), lw - 1), my = MIN ((guint) ((y + 0.5) / h * vy * lh), lh - 1);
      double any = 0.0;
      for (guint c = 0; c < C; c++)
        any += m[((gsize) c * lh + my) * lw + mx];
      const guint8 *a = pp + y * sp + x * np, *b = pt + y * st + x * nt;
      gboolean same = a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
      if (any == 0.0) {
        if (!same)
          g_error ("pixel (%d, %d) has no mask but was tinted", x, y);
        continue;
      }
      count++;
      if (C == 1) {
        /* one concept: every channel moves towards its colour (or stays where it is that colour already) */
        guint8 rgb[3];
        se_preview_mask_color (0, rgb);
        for (int k = 0; k < 3; k++) {
          int before = (int) rgb[k] - a[k], after = (int) rgb[k] - b[k];
          if (abs (after) > abs (before))
            g_error ("pixel (%d, %d) channel %d moved away from the mask colour: %d -> %d (colour %d)", x, y, k,
                     a[k], b[k], rgb[k]);
        }
      }
    }
  return count;
}

static gboolean
script (gpointer data)
{
  /* 1: the first preview, LEDITS */
  wait_preview ("the first preview");
  g_assert_null (dlg->masks);
  GtkComboBox *show = se_preview_show_combo (dlg->preview);
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_MASKS);        /* LEDITS has none: the result stays */
  g_assert_cmpint (gtk_combo_box_get_active (show), ==, SE_PREVIEW_SHOW_RESULT);

  /* 2: LEDITS++: its defaults and controls */
  gtk_combo_box_set_active (GTK_COMBO_BOX (dlg->method), 1);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->steps), ==, SE_RECIPE_PP_STEPS);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->skip), ==, SE_RECIPE_PP_SKIP);
  g_assert_cmpfloat (gtk_adjustment_get_value (dlg->warmup), ==, SE_RECIPE_PP_WARMUP);
  g_assert_false (gtk_widget_get_sensitive (dlg->tar_entry));
  g_assert_true (gtk_widget_get_sensitive (dlg->masks_kind));
  guint step_masks = dlg->step_masks_shown;
  wait_preview ("the LEDITS++ preview");
  g_assert_cmpuint (dlg->step_masks_shown, >, step_masks);     /* masks came with the steps */
  g_assert_nonnull (dlg->masks);
  g_assert_cmpuint (dlg->mask_concepts, ==, 1);
  g_autoptr (SeRecipe) r = se_dialog_recipe (dlg);
  g_assert_cmpint (r->method, ==, SE_METHOD_LEDITS_PP);
  g_assert_cmpstr (r->tar, ==, "");
  g_assert_cmpint (r->masks, ==, SE_MASKS_INTERSECT);

  /* 3: the masks view tints exactly the masked places over the region, at
   * once, without a job */
  guint jobs = dlg->job;
  g_autoptr (GdkPixbuf) result = se_ui_test_displayed (dlg);
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_BEFORE);
  g_autoptr (GdkPixbuf) plain = se_ui_test_displayed (dlg);
  gtk_combo_box_set_active (show, SE_PREVIEW_SHOW_MASKS);
  g_assert_cmpint (gtk_combo_box_get_active (show), ==, SE_PREVIEW_SHOW_MASKS);
  g_autoptr (GdkPixbuf) tinted = se_ui_test_displayed (dlg);
  guint n = check_tint (plain, tinted, 0);
  g_printerr ("# %u of %d preview pixels inside the concept's mask\n", n,
              gdk_pixbuf_get_width (plain) * gdk_pixbuf_get_height (plain));
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (dlg->job, ==, jobs);
  /* the preview's working size (sides multiples of 64) has another aspect
   * than the region's; the edit is shown undistorted, as large as the region */
  g_assert_cmpint (gdk_pixbuf_get_width (result), ==, gdk_pixbuf_get_width (plain));
  g_assert_cmpint (gdk_pixbuf_get_height (result), ==, gdk_pixbuf_get_height (plain));

  /* 4: a second concept, in its own colour; the masks kind reaches the recipe */
  gtk_button_clicked (GTK_BUTTON (dlg->add_concept));
  SeConceptRow *row = dlg->rows->pdata[1];
  gtk_entry_set_text (se_concept_row_entry (row), "autumn leaves");
  gtk_adjustment_set_value (se_concept_row_threshold (row), 0.5);
  wait_preview ("the preview with two concepts");
  g_assert_cmpuint (dlg->mask_concepts, ==, 2);
  /* the picture: the masks over the region as it is */
  se_ui_test_screenshot (dlg->window, g_getenv ("SE_SCREENSHOT"));
  gtk_combo_box_set_active (GTK_COMBO_BOX (dlg->masks_kind), 2);
  wait_preview ("the preview with noise masks");
  g_autoptr (SeRecipe) noise = se_dialog_recipe (dlg);
  g_assert_cmpint (noise->masks, ==, SE_MASKS_NOISE);
  g_assert_cmpuint (dlg->mask_concepts, ==, 2);

  script_done = TRUE;
  gtk_dialog_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_OK);
  return G_SOURCE_REMOVE;
}

/* OK: the final edit runs with the recipe handed over, at full steps. */
static gboolean
final_edit (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *loaded, gpointer data,
            GError **error)
{
  g_assert_cmpint (chosen->recipe->method, ==, SE_METHOD_LEDITS_PP);
  g_assert_cmpint (chosen->recipe->masks, ==, SE_MASKS_NOISE);
  g_assert_cmpuint (chosen->recipe->concepts->len, ==, 2);
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
  /* a low threshold: on the random tiny model at the preview's 4 x 2
   * attention positions the default's attention and noise masks rarely meet */
  se_recipe_add_concept (recipe, "a red ball")->threshold = 0.5;
  SeDialogValues initial = { model, recipe, 3, 1, TRUE, 0 };
  dlg = se_dialog_new (&region, 180, 120, NULL, &initial, se_ui_test_help, "plug-in-semantic-edit");
  g_idle_add (script, NULL);
  SeDialogValues chosen = { 0 };
  g_assert_true (se_dialog_run (dlg, final_edit, &region, &chosen));
  g_assert_true (script_done);
  se_dialog_free (dlg);
  se_dialog_values_clear (&chosen);
  return 0;
}
