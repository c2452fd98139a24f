/* candidates.c: the candidates' thumbnails (candidates.h). */
#include "candidates.h"

#include <glib/gi18n-lib.h>
#include "gimp-widgets.h"

#include "preview.h"

#define THUMB_SIZE 72

struct _SeCandidates {
  GtkWidget *box;
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
  c->box = gtk_hbox_new (FALSE, 4);
  g_signal_connect (c->box, "destroy", G_CALLBACK (on_destroy), c);
  gtk_widget_set_no_show_all (c->box, TRUE);
  return c;
}

GtkWidget *se_candidates_widget (SeCandidates *c) { return c->box; }
guint se_candidates_selected (const SeCandidates *c) { return c->selected; }
guint se_candidates_count (const SeCandidates *c) { return c->buttons->len; }

GtkButton *
se_candidates_button (SeCandidates *c, guint index)
{
  g_return_val_if_fail (index < c->buttons->len, NULL);
  return c->buttons->pdata[index];
}

void
se_candidates_set (SeCandidates *c, const SeImage *images, guint count)
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
    gtk_container_add (GTK_CONTAINER (b), gtk_image_new ());
    g_object_set_data (G_OBJECT (b), "se-index", GUINT_TO_POINTER (i));
    g_signal_connect (b, "toggled", G_CALLBACK (on_toggled), c);
    gtk_box_pack_start (GTK_BOX (c->box), b, FALSE, FALSE, 0);
    gtk_widget_show_all (b);
    g_ptr_array_add (c->buttons, b);
  }
  for (guint i = 0; i < count; i++) {
    g_autoptr (GdkPixbuf) thumb = se_preview_pixbuf (&images[i], c->visible_x, c->visible_y, c->aspect,
                                                      THUMB_SIZE);
    gtk_image_set_from_pixbuf (GTK_IMAGE (gtk_bin_get_child (c->buttons->pdata[i])), thumb);
  }
  if (c->selected >= count)
    c->selected = 0;
  sync_toggles (c);
  if (count > 1)
    gtk_widget_show (c->box);
  else
    gtk_widget_hide (c->box);
}
