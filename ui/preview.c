/* preview.c: the preview area (preview.h). */
#include "preview.h"

#include <glib/gi18n-lib.h>
#include "gimp-widgets.h"
#include "image-pixbuf.h"

#define PREVIEW_SIZE 360

struct _SePreview {
  GtkWidget *box, *image, *toggle;
  double visible_x, visible_y;  /* the region's share of the working image */
  GdkPixbuf *before, *after;
  guint updates;
};

GdkPixbuf *
se_preview_pixbuf (const SeImage *img, double visible_x, double visible_y, guint size)
{
  guint w = CLAMP ((guint) (img->width * visible_x + 0.5), 1u, img->width);
  guint h = CLAMP ((guint) (img->height * visible_y + 0.5), 1u, img->height);
  g_autoptr (GdkPixbuf) full = se_image_to_pixbuf (img, w, h);
  double s = (double) size / MAX (w, h);
  int dw = MAX (1, (int) (w * s + 0.5)), dh = MAX (1, (int) (h * s + 0.5));
  return gdk_pixbuf_scale_simple (full, dw, dh, GDK_INTERP_BILINEAR);
}

static void
show (SePreview *p)
{
  gboolean original = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (p->toggle));
  gtk_image_set_from_pixbuf (GTK_IMAGE (p->image), original || !p->after ? p->before : p->after);
}

static void
on_destroy (GtkWidget *w, SePreview *p)
{
  g_clear_object (&p->before);
  g_clear_object (&p->after);
  g_free (p);
}

SePreview *
se_preview_new (const SeImage *before, guint visible_w, guint visible_h)
{
  SePreview *p = g_new0 (SePreview, 1);
  p->visible_x = (double) visible_w / before->width;
  p->visible_y = (double) visible_h / before->height;
  p->before = se_preview_pixbuf (before, p->visible_x, p->visible_y, PREVIEW_SIZE);
  p->box = gtk_vbox_new (FALSE, 6);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  p->image = gtk_image_new ();
  gtk_widget_set_size_request (p->image, PREVIEW_SIZE, PREVIEW_SIZE);
  gtk_container_add (GTK_CONTAINER (frame), p->image);
  gtk_box_pack_start (GTK_BOX (p->box), frame, TRUE, TRUE, 0);
  p->toggle = gtk_check_button_new_with_mnemonic (_("Show _before"));
  gimp_help_set_help_data (p->toggle, _("Show the region as it is, to compare with the edit"), NULL);
  gtk_box_pack_start (GTK_BOX (p->box), p->toggle, FALSE, FALSE, 0);
  g_signal_connect_swapped (p->toggle, "toggled", G_CALLBACK (show), p);
  g_signal_connect (p->box, "destroy", G_CALLBACK (on_destroy), p);
  show (p);
  return p;
}

GtkWidget *
se_preview_widget (SePreview *p)
{
  return p->box;
}

void
se_preview_set_result (SePreview *p, const SeImage *result)
{
  g_clear_object (&p->after);
  if (result) {
    p->after = se_preview_pixbuf (result, p->visible_x, p->visible_y, PREVIEW_SIZE);
    p->updates++;
  }
  show (p);
}

guint
se_preview_updates (const SePreview *p)
{
  return p->updates;
}

GdkPixbuf *
se_preview_displayed (const SePreview *p)
{
  return gtk_image_get_pixbuf (GTK_IMAGE (p->image));
}
