/* test_dialog_keys.c: every mnemonic of the dialog reaches its own control,
 * in the language the environment sets (run in English and in Japanese).
 *
 * In each state a retoucher meets (the Edit and the Advanced page, each
 * with LEDITS and with LEDITS++) the test collects every mnemonic on
 * screen, GIMP's Help button's included, and asserts that no two controls
 * share a letter: controls off screen (the other page) and controls the
 * method turns off (GTK passes over insensitive ones) are the only ones
 * that may share.  Then it presses each Alt+letter through the window and
 * checks where it lands: the labelled field gets the focus, a button is
 * clicked (the dialog's own handlers held back, so nothing opens), a page
 * tab shows its page.  In every state, with eight candidates shown, the
 * dialog fits a 1280 x 720 screen (its title bar included). */
#include <gdk/gdkkeysyms.h>
#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>
#include <string.h>

#include "dialog-private.h"
#include "test-util.h"
#include "ui-test-util.h"

typedef struct {
  GtkWidget *label;             /* the mnemonic's label */
  GtkWidget *target;            /* what it activates: a field, a button, or the notebook (a tab) */
  gint page;                    /* a tab: its page; -1 otherwise */
  guint keyval;
} Mnemonic;

static SeDialog *dlg;
static GArray *found;           /* Mnemonic */
static GtkWidget *clicked;      /* the button the last key clicked */

static GtkWidget *
button_of (GtkWidget *w)
{
  for (; w; w = gtk_widget_get_parent (w))
    if (GTK_IS_BUTTON (w))
      return w;
  return NULL;
}

/* Controls the chosen method turns off, their labels with them (GTK asks the
 * label): they may share a letter with one of the other method's.  OK
 * before a model and Stop while idle are off too, but count: they come on. */
static gboolean
off_by_method (GtkWidget *label, GtkWidget *target)
{
  return !gtk_widget_is_sensitive (label) && target != dlg->ok && target != dlg->stop;
}

static void collect (GtkWidget *w, gpointer data);

static void
collect_label (GtkWidget *w)
{
  GtkLabel *label = GTK_LABEL (w);
  guint keyval = gtk_label_get_mnemonic_keyval (label);
  /* on screen as GTK's mnemonic lookup sees it: a page's children in a
   * scrolled viewport keep their mapped flag, their window hidden */
  if (keyval == GDK_KEY_VoidSymbol || !gtk_widget_is_drawable (w) || !gdk_window_is_viewable (gtk_widget_get_window (w)))
    return;
  Mnemonic m = { w, gtk_label_get_mnemonic_widget (label), -1, gdk_keyval_to_lower (keyval) };
  GtkWidget *parent = gtk_widget_get_parent (w);
  if (GTK_IS_NOTEBOOK (parent)) {       /* a page tab */
    for (gint i = 0; i < gtk_notebook_get_n_pages (GTK_NOTEBOOK (parent)); i++)
      if (gtk_notebook_get_tab_label (GTK_NOTEBOOK (parent), gtk_notebook_get_nth_page (GTK_NOTEBOOK (parent), i)) == w)
        m.page = i;
    m.target = parent;
  } else if (m.target == NULL || GTK_IS_BUTTON (m.target)) {
    m.target = button_of (w);
  }
  g_assert_nonnull (m.target);
  if (off_by_method (w, m.target))
    return;
  g_array_append_val (found, m);
}

static void
collect (GtkWidget *w, gpointer data)
{
  if (GTK_IS_LABEL (w))
    collect_label (w);
  if (GTK_IS_CONTAINER (w))
    gtk_container_forall (GTK_CONTAINER (w), collect, data);
}

static const char *
name_of (const Mnemonic *m)
{
  return gtk_label_get_label (GTK_LABEL (m->label));
}

static void
on_clicked (GtkWidget *button, gpointer data)
{
  clicked = button;
}

/* Alt+letter through the window, as GTK delivers a key press; a button
 * is clicked when its pressed look ends (GTK's activation timeout). */
static void
press (guint keyval, gboolean button)
{
  clicked = NULL;
  g_assert_true (gtk_window_mnemonic_activate (GTK_WINDOW (dlg->window), keyval, GDK_MOD1_MASK));
  gint64 until = g_get_monotonic_time () + (button ? 2 * G_USEC_PER_SEC : 0);
  do
    g_main_context_iteration (NULL, FALSE);
  while (clicked == NULL && g_get_monotonic_time () < until);
  while (gtk_events_pending ())
    gtk_main_iteration ();
}

/* the tallest title bar of the usual window managers */
#define TITLE_BAR 40

static void
check_state (const char *state, gint page)
{
  gtk_notebook_set_current_page (GTK_NOTEBOOK (dlg->notebook), page);
  while (gtk_events_pending ())
    gtk_main_iteration ();
  GtkRequisition size;
#if GTK_CHECK_VERSION(3, 0, 0)
  gtk_widget_get_preferred_size (dlg->window, NULL, &size);
#else
  gtk_widget_size_request (dlg->window, &size);
#endif
  g_test_message ("%s: %d x %d", state, size.width, size.height);
  g_assert_cmpint (size.width, <=, 1280);
  g_assert_cmpint (size.height + TITLE_BAR, <=, 720);
  g_array_set_size (found, 0);
  collect (dlg->window, NULL);
  g_test_message ("%s: %u mnemonics", state, found->len);
  g_assert_cmpuint (found->len, >=, 15);
  for (guint i = 0; i < found->len; i++)
    for (guint j = i + 1; j < found->len; j++) {
      Mnemonic *a = &g_array_index (found, Mnemonic, i), *b = &g_array_index (found, Mnemonic, j);
      if (a->keyval == b->keyval && !(a->target == b->target && a->page == b->page))
        g_error ("%s: Alt+%s names both \"%s\" and \"%s\"", state, gdk_keyval_name (a->keyval), name_of (a),
                 name_of (b));
    }

  for (guint i = 0; i < found->len; i++) {
    Mnemonic m = g_array_index (found, Mnemonic, i);
    if (!gtk_widget_get_sensitive (m.target))
      continue;                 /* OK before a model, Stop while idle: nothing to press */
    /* hold the dialog's own handlers back: a press must not open, run or close anything */
    gboolean toggle = GTK_IS_TOGGLE_BUTTON (m.target);
    gboolean was = toggle && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (m.target));
    g_signal_handlers_block_matched (m.target, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, dlg);
    g_signal_handlers_block_matched (m.target, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, dlg->window);
    gulong id = GTK_IS_BUTTON (m.target) ? g_signal_connect (m.target, "clicked", G_CALLBACK (on_clicked), NULL) : 0;
    press (m.keyval, GTK_IS_BUTTON (m.target));
    GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (dlg->window));
    if (m.page >= 0) {
      g_assert_cmpint (gtk_notebook_get_current_page (GTK_NOTEBOOK (m.target)), ==, m.page);
    } else if (GTK_IS_BUTTON (m.target)) {
      if (clicked != m.target)
        g_error ("%s: Alt+%s did not press \"%s\" (%s)", state, gdk_keyval_name (m.keyval), name_of (&m),
                 clicked ? gtk_button_get_label (GTK_BUTTON (clicked)) : "nothing pressed");
    } else if (!(focus == m.target || (focus && gtk_widget_is_ancestor (focus, m.target))))
      g_error ("%s: Alt+%s (\"%s\") focused %s, not its field", state, gdk_keyval_name (m.keyval), name_of (&m),
               focus ? G_OBJECT_TYPE_NAME (focus) : "nothing");
    if (id)
      g_signal_handler_disconnect (m.target, id);
    if (toggle)
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (m.target), was);
    g_signal_handlers_unblock_matched (m.target, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, dlg);
    g_signal_handlers_unblock_matched (m.target, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, dlg->window);
    gtk_notebook_set_current_page (GTK_NOTEBOOK (dlg->notebook), page);
  }
}

static gboolean window_mapped (void) { return gtk_widget_get_mapped (dlg->window); }

int
main (int argc, char **argv)
{
  const char *dir = g_getenv ("SE_TEST_LOCALEDIR");
  if (dir)
    bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  se_ui_test_init (&argc, &argv);
  SeImage region = se_ui_test_region ();
  g_autofree float *px = region.data;
  g_autoptr (SeRecipe) recipe = se_recipe_new ();
  se_recipe_add_concept (recipe, "snow");
  SeDialogValues initial = { NULL, recipe, 1, 1, FALSE, 0 };
  dlg = se_dialog_new (&region, 180, 120, NULL, &initial, se_ui_test_help, "plug-in-semantic-edit");
  gtk_widget_show (dlg->window);
  se_ui_test_wait_for (window_mapped, 30, "the dialog on screen");
  if (dir)     /* the Japanese run: in Japanese */
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dlg->window)), !=, "Semantic Edit");
  /* eight candidates: the widest the thumbnails make it */
  SeImage eight[8];
  for (guint k = 0; k < 8; k++)
    eight[k] = region;
  se_candidates_set (dlg->candidates, eight, 8, 1);
  found = g_array_new (FALSE, FALSE, sizeof (Mnemonic));
  const char *methods[] = { "LEDITS", "LEDITS++" };
  for (gint method = 0; method < 2; method++) {
    gtk_combo_box_set_active (GTK_COMBO_BOX (dlg->method), method);
    for (gint page = 0; page < 2; page++) {
      g_autofree char *state = g_strdup_printf ("%s, %s page", methods[method], page ? "Advanced" : "Edit");
      check_state (state, page);
    }
  }
  g_array_unref (found);
  se_dialog_free (dlg);
  return 0;
}
