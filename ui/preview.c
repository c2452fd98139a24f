/* preview.c: the preview area (preview.h). */
#include "preview.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gimp-widgets.h"
#include "image-pixbuf.h"

#define PREVIEW_SIZE 360

/* how strongly a mask tints where it is 1 */
#define MASK_ALPHA 0.55

struct _SePreview {
  GtkWidget *box, *image, *toggle, *masks_toggle;
  double visible_x, visible_y;  /* the region's share of the working image */
  double aspect;                /* the region's width / height */
  GdkPixbuf *before, *after, *shown;
  double *masks;                /* [concepts][lh][lw], or NULL */
  guint concepts, lw, lh;
  guint updates;
};

void
se_preview_mask_color (guint c, guint8 rgb[3])
{
  static const guint8 palette[][3] = {
    { 255, 48, 48 }, { 48, 220, 64 }, { 64, 112, 255 }, { 255, 210, 0 },
    { 230, 64, 230 }, { 0, 220, 230 }, { 255, 140, 0 }, { 160, 96, 255 },
  };
  memcpy (rgb, palette[c % G_N_ELEMENTS (palette)], 3);
}

/* A copy of pix with each concept's mask tinted in its colour: the pixel at
 * (x, y) of the visible region reads the mask at its place in the working
 * image (nearest latent position). */
static GdkPixbuf *
tinted (const SePreview *p, GdkPixbuf *pix)
{
  GdkPixbuf *out = gdk_pixbuf_copy (pix);
  int w = gdk_pixbuf_get_width (out), h = gdk_pixbuf_get_height (out);
  int stride = gdk_pixbuf_get_rowstride (out), nc = gdk_pixbuf_get_n_channels (out);
  guint8 *px = gdk_pixbuf_get_pixels (out);
  for (int y = 0; y < h; y++) {
    guint my = MIN ((guint) ((y + 0.5) / h * p->visible_y * p->lh), p->lh - 1);
    for (int x = 0; x < w; x++) {
      guint mx = MIN ((guint) ((x + 0.5) / w * p->visible_x * p->lw), p->lw - 1);
      guint8 *q = px + y * stride + x * nc;
      for (guint c = 0; c < p->concepts; c++) {
        double a = MASK_ALPHA * p->masks[((gsize) c * p->lh + my) * p->lw + mx];
        guint8 rgb[3];
        se_preview_mask_color (c, rgb);
        for (int k = 0; k < 3; k++)
          q[k] = (guint8) (q[k] * (1.0 - a) + rgb[k] * a + 0.5);
      }
    }
  }
  return out;
}

GdkPixbuf *
se_preview_pixbuf (const SeImage *img, double visible_x, double visible_y, double aspect, guint size)
{
  guint w = CLAMP ((guint) (img->width * visible_x + 0.5), 1u, img->width);
  guint h = CLAMP ((guint) (img->height * visible_y + 0.5), 1u, img->height);
  g_autoptr (GdkPixbuf) full = se_image_to_pixbuf (img, w, h);
  if (full == NULL)
    return NULL;
  int dw = aspect >= 1.0 ? (int) size : MAX (1, (int) (size * aspect + 0.5));
  int dh = aspect >= 1.0 ? MAX (1, (int) (size / aspect + 0.5)) : (int) size;
  return gdk_pixbuf_scale_simple (full, dw, dh, GDK_INTERP_BILINEAR);
}

static void
show (SePreview *p)
{
  gboolean original = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (p->toggle));
  GdkPixbuf *pix = original || !p->after ? p->before : p->after;
  g_clear_object (&p->shown);
  if (p->masks && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (p->masks_toggle)))
    pix = p->shown = tinted (p, pix);
  gtk_image_set_from_pixbuf (GTK_IMAGE (p->image), pix);
}

static void
on_destroy (GtkWidget *w, SePreview *p)
{
  g_clear_object (&p->before);
  g_clear_object (&p->after);
  g_clear_object (&p->shown);
  g_free (p->masks);
  g_free (p);
}

SePreview *
se_preview_new (const SeImage *before, guint visible_w, guint visible_h)
{
  SePreview *p = g_new0 (SePreview, 1);
  p->visible_x = (double) visible_w / before->width;
  p->visible_y = (double) visible_h / before->height;
  p->aspect = (double) visible_w / visible_h;
  p->before = se_preview_pixbuf (before, p->visible_x, p->visible_y, p->aspect, PREVIEW_SIZE);
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
  /* no mnemonic: every letter of "Show masks" is taken by a control in view */
  p->masks_toggle = gtk_check_button_new_with_label (_("Show masks"));
  gimp_help_set_help_data (p->masks_toggle, _("LEDITS++: tint where each concept may change the region, in the "
                                              "concept's colour: during an edit the step's mask, after it how often "
                                              "each place was inside it"), NULL);
  gtk_box_pack_start (GTK_BOX (p->box), p->masks_toggle, FALSE, FALSE, 0);
  g_signal_connect_swapped (p->masks_toggle, "toggled", G_CALLBACK (show), p);
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
    p->after = se_preview_pixbuf (result, p->visible_x, p->visible_y, p->aspect, PREVIEW_SIZE);
    p->updates++;
  }
  show (p);
}

void
se_preview_set_masks (SePreview *p, const double *masks, guint concepts, guint lw, guint lh)
{
  g_clear_pointer (&p->masks, g_free);
  p->concepts = 0;
  if (masks && concepts && lw && lh) {
    p->masks = g_memdup2 (masks, sizeof (double) * concepts * lw * lh);
    p->concepts = concepts;
    p->lw = lw;
    p->lh = lh;
  }
}

GtkToggleButton *
se_preview_masks_toggle (SePreview *p)
{
  return GTK_TOGGLE_BUTTON (p->masks_toggle);
}

GtkToggleButton *
se_preview_before_toggle (SePreview *p)
{
  return GTK_TOGGLE_BUTTON (p->toggle);
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
