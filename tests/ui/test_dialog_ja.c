/* test_dialog_ja.c: the dialog in Japanese, from the catalog the build
 * makes (po/ja.po): with LANGUAGE=ja its labels, buttons and the no-model
 * message come out translated; Cancel closes it and reports no values.  A
 * screenshot goes to $SE_SCREENSHOT. */
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "dialog-private.h"
#include "ui-test-util.h"

static SeDialog *dlg;

static const char *
mnemonic_label_of (GtkWidget *w)
{
  GList *labels = gtk_widget_list_mnemonic_labels (w);
  g_assert_nonnull (labels);
  const char *text = gtk_label_get_label (labels->data);
  g_list_free (labels);
  return text;
}

static gboolean
script (gpointer data)
{
  g_assert_cmpstr (mnemonic_label_of (dlg->model_entry), ==, "モデル(_M):");
  g_assert_cmpstr (mnemonic_label_of (dlg->tar_entry), ==, "ターゲットプロンプト(_T):");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (dlg->generate)), ==, "生成(_G)");
  GtkWidget *ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_OK);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (ok)), ==, "OK(_O)");
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dlg->window)), ==, "セマンティック編集");
  /* no model: the message says so, in Japanese, with the hint to the README */
  g_assert_true (gtk_widget_get_visible (dlg->message_box));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (dlg->message_label)),
                                   "モデルが設定されていません"));
  g_assert_true (gtk_widget_get_visible (dlg->model_hint));
  se_ui_test_screenshot (dlg->window, g_getenv ("SE_SCREENSHOT"));
  gtk_dialog_response (GTK_DIALOG (dlg->window), GTK_RESPONSE_CANCEL);
  return G_SOURCE_REMOVE;
}

static gboolean
never_applied (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *loaded, gpointer data,
               GError **error)
{
  g_assert_not_reached ();
}

int
main (int argc, char **argv)
{
  const char *dir = g_getenv ("SE_TEST_LOCALEDIR");
  g_assert_nonnull (dir);
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  se_ui_test_init (&argc, &argv);
  guint w = 128, h = 64;
  g_autofree float *px = g_new0 (float, 3 * w * h);
  SeImage region = { w, h, px };
  g_autoptr (SeRecipe) recipe = se_recipe_new ();
  se_recipe_add_concept (recipe, "snow");
  SeDialogValues initial = { NULL, recipe, 1, 1, TRUE, 0 };
  dlg = se_dialog_new (&region, w, h, NULL, &initial, se_ui_test_help, "plug-in-semantic-edit");
  g_idle_add (script, NULL);
  SeDialogValues chosen = { 0 };
  g_assert_false (se_dialog_run (dlg, never_applied, NULL, &chosen));
  g_assert_cmpuint (chosen.recipe->concepts->len, ==, 1);      /* kept as the last values */
  se_dialog_values_clear (&chosen);
  se_dialog_free (dlg);
  return 0;
}
