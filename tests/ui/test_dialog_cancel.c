/* test_dialog_cancel.c: Cancel in the dialog while its preview is in each
 * phase (loading the model, encoding, inverting, editing, decoding): the
 * dialog returns, with nothing chosen, once the worker stops (within one
 * tensor of a load, one UNet evaluation, or the encode or decode under
 * way); how long that took is printed, not asserted (a timing; under the
 * sanitizers it is several times longer).  The dialog never writes to the
 * image; in GIMP, tests/gimp/test-cancel.sh checks the image after a
 * cancelled run. */
#include <gtk/gtk.h>
#include <math.h>

#include "dialog-private.h"
#include "test-util.h"
#include "ui-test-util.h"

#define WAIT_S 120

static SeDialog *dlg;
static const char *phase;       /* the progress text to cancel at */
static gint64 pressed;

static gboolean
in_phase (void)
{
  const char *text = gtk_progress_bar_get_text (GTK_PROGRESS_BAR (dlg->progress));
  return text && g_str_has_prefix (text, phase);
}

static gboolean
never_applied (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *loaded, gpointer data,
               GError **error)
{
  g_assert_not_reached ();
}

static gboolean
cancel_in_phase (gpointer data)
{
  se_ui_test_wait_for (in_phase, WAIT_S, phase);
  pressed = g_get_monotonic_time ();
  gtk_dialog_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_CANCEL);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  se_ui_test_init (&argc, &argv);
  g_autofree char *model = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  guint w = 256, h = 192;
  g_autofree float *px = g_new (float, 3 * w * h);
  for (gsize i = 0; i < 3 * (gsize) w * h; i++)
    px[i] = (float) sin ((double) i * 0.01) * 0.7f;
  SeImage region = { w, h, px };
  g_autoptr (SeRecipe) recipe = se_recipe_new ();
  recipe->steps = 20;
  recipe->skip = 4;
  se_recipe_add_concept (recipe, "snowy");
  const char *phases[] = { "Loading the model…", "Encoding the region…", "Inverting: step", "Editing: step",
                           "Decoding" };
  for (guint i = 0; i < G_N_ELEMENTS (phases); i++) {
    phase = phases[i];
    SeDialogValues initial = { model, recipe, 3, 1, TRUE, 0 };
    dlg = se_dialog_new (&region, w, h, NULL, &initial, se_ui_test_help, "plug-in-semantic-edit");
    g_idle_add (cancel_in_phase, NULL);
    SeDialogValues chosen = { 0 };
    g_assert_false (se_dialog_run (dlg, never_applied, NULL, &chosen));
    double ms = (double) (g_get_monotonic_time () - pressed) / 1000;
    g_printerr ("# Cancel during \"%s\": the dialog returned %.0f ms later\n", phase, ms);
    /* what was shown comes back, for the plug-in's last values */
    g_assert_cmpstr (chosen.model, ==, model);
    g_assert_cmpstr (g_array_index (chosen.recipe->concepts, SeConcept, 0).prompt, ==, "snowy");
    se_dialog_values_clear (&chosen);
    se_dialog_free (dlg);
  }
  return 0;
}
