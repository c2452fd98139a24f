/* candidates.c: the candidates' thumbnails (candidates.h). */
#include "candidates.h"

#include <glib/gi18n-lib.h>
#include "toolkit.h"

#include "preview.h"

#define THUMB_SIZE 72

struct _SeCandidates {
  GtkWidget *scrolled, *box;    /* the thumbnails scroll sideways: eight fit no narrower dialog */
  GPtrArray *buttons;           /* GtkToggleButton */
  double visible_x, visible_y, aspect;
  guint selected;
  gboolean updating;            /* setting toggles from code */
  SeCandidateSelected on_selected;
  gpointer data;
};

static void
sync_toggles (SeCandidates *c)
{
  c->updating = TRUE;
  for (guint i = 0; i < c->buttons->len; i++)
    gtk_toggle_button_set_active (c->buttons->pdata[i], i == c->selected);
  c->updating = FALSE;
}

static void
on_toggled (GtkToggleButton *b, SeCandidates *c)
{
  if (c->updating)
    return;
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (b), "se-index"));
  c->selected = index;
  sync_toggles (c);
  c->on_selected (index, c->data);
}

static void
on_destroy (GtkWidget *w, SeCandidates *c)
{
  g_ptr_array_unref (c->buttons);
  g_free (c);
}

SeCandidates *
se_candidates_new (double visible_x, double visible_y, double aspect, SeCandidateSelected selected, gpointer data)
{
  SeCandidates *c = g_new0 (SeCandidates, 1);
  c->visible_x = visible_x;
  c->visible_y = visible_y;
  c->aspect = aspect;
  c->on_selected = selected;
  c->data = data;
  c->buttons = g_ptr_array_new ();
  c->box = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  c->scrolled = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (c->scrolled), GTK_POLICY_AUTOMATIC, GTK_POLICY_NEVER);
  se_ui_scrolled_add (GTK_SCROLLED_WINDOW (c->scrolled), c->box);
  gtk_widget_set_size_request (c->scrolled, 1, -1);     /* as wide as the column gives, not as the row */
  gtk_widget_show_all (c->scrolled);
  g_signal_connect (c->scrolled, "destroy", G_CALLBACK (on_destroy), c);
  gtk_widget_set_no_show_all (c->scrolled, TRUE);
  gtk_widget_hide (c->scrolled);
  return c;
}

GtkWidget *se_candidates_widget (SeCandidates *c) { return c->scrolled; }
guint se_candidates_selected (const SeCandidates *c) { return c->selected; }
guint se_candidates_count (const SeCandidates *c) { return c->buttons->len; }

GtkButton *
se_candidates_button (SeCandidates *c, guint index)
{
  g_return_val_if_fail (index < c->buttons->len, NULL);
  return c->buttons->pdata[index];
}

void
se_candidates_set (SeCandidates *c, const SeImage *images, guint count, guint32 first_seed)
{
  while (c->buttons->len > count) {
    gtk_widget_destroy (c->buttons->pdata[c->buttons->len - 1]);
    g_ptr_array_remove_index (c->buttons, c->buttons->len - 1);
  }
  while (c->buttons->len < count) {
    guint i = c->buttons->len;
    GtkWidget *b = gtk_toggle_button_new ();
    g_autofree char *tip = g_strdup_printf (_("Candidate %u: click to see it large and to "
                                              "apply it with OK"), i + 1);
    gimp_help_set_help_data (b, tip, NULL);
    GtkWidget *vbox = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 2);
    gtk_box_pack_start (GTK_BOX (vbox), gtk_image_new (), FALSE, FALSE, 0);
    gtk_box_pack_start (GTK_BOX (vbox), gtk_label_new (NULL), FALSE, FALSE, 0);
    gtk_container_add (GTK_CONTAINER (b), vbox);
    g_object_set_data (G_OBJECT (b), "se-index", GUINT_TO_POINTER (i));
    g_signal_connect (b, "toggled", G_CALLBACK (on_toggled), c);
    gtk_box_pack_start (GTK_BOX (c->box), b, FALSE, FALSE, 0);
    gtk_widget_show_all (b);
    g_ptr_array_add (c->buttons, b);
  }
  for (guint i = 0; i < count; i++) {
    g_autoptr (GdkPixbuf) thumb = se_preview_pixbuf (&images[i], c->visible_x, c->visible_y, c->aspect,
                                                      THUMB_SIZE);
    GList *parts = gtk_container_get_children (GTK_CONTAINER (gtk_bin_get_child (c->buttons->pdata[i])));
    gtk_image_set_from_pixbuf (GTK_IMAGE (parts->data), thumb);
    /* TRANSLATORS: under a candidate's thumbnail: its number and seed */
    g_autofree char *caption = g_strdup_printf (_("%u · seed %u"), i + 1, first_seed + i);
    gtk_label_set_text (GTK_LABEL (parts->next->data), caption);
    g_list_free (parts);
  }
  if (c->selected >= count)
    c->selected = 0;
  sync_toggles (c);
  if (count > 1)
    gtk_widget_show (c->scrolled);
  else
    gtk_widget_hide (c->scrolled);
}
