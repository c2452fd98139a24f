/* preview.c: the preview area (preview.h). */
#include "preview.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "toolkit.h"
#include "image-pixbuf.h"

#define PREVIEW_SIZE 360
/* how strongly a mask tints where it is 1 */
#define MASK_ALPHA 0.55
/* how near the divider (screen pixels) a press grabs it */
#define DIVIDER_GRIP 6

/* One scale of everything the views are made from: fitted to the box, or
 * at 1:1 (made when first asked for). */
typedef struct {
  GdkPixbuf *before, *after, *coverage;
} Layers;

struct _SePreview {
  GtkWidget *box, *area, *show, *zoom;
  SeImage region;               /* the working image (owned copy) */
  float *coverage;              /* its selection coverage, or NULL */
  guint visible_w, visible_h;
  double visible_x, visible_y;  /* the region's share of the working image */
  double aspect;                /* the region's width / height */
  SeImage *result;              /* the last result (owned), or NULL */
  Layers fit, full;
  GdkPixbuf *shown_fit, *shown_full;      /* the current view at each scale */
  double *masks;                /* [concepts][lh][lw], or NULL */
  guint concepts, lw, lh;
  gboolean masks_available;
  double split;                 /* the divider, a share of the width */
  double pan_x, pan_y;          /* 1:1: the image pixel at the box's top-left */
  gboolean dragging_divider, panning;
  double drag_x, drag_y;        /* the pointer when the pan started */
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

/* ---- composing ---- */

static double
to_linear (double v)
{
  return v <= 0.04045 ? v / 12.92 : pow ((v + 0.055) / 1.055, 2.4);
}

static guint8
to_encoded (double v)
{
  double e = v <= 0.0031308 ? v * 12.92 : 1.055 * pow (v, 1.0 / 2.4) - 0.055;
  return (guint8) lround (CLAMP (e, 0.0, 1.0) * 255.0);
}

GdkPixbuf *
se_preview_compose (GdkPixbuf *before, GdkPixbuf *after, GdkPixbuf *coverage)
{
  static double linear[256];
  if (linear[255] == 0.0)
    for (int i = 0; i < 256; i++)
      linear[i] = to_linear (i / 255.0);
  GdkPixbuf *out = gdk_pixbuf_copy (before);
  int w = gdk_pixbuf_get_width (out), h = gdk_pixbuf_get_height (out);
  int so = gdk_pixbuf_get_rowstride (out), sa = gdk_pixbuf_get_rowstride (after);
  int sc = gdk_pixbuf_get_rowstride (coverage);
  int no = gdk_pixbuf_get_n_channels (out), na = gdk_pixbuf_get_n_channels (after);
  int nc = gdk_pixbuf_get_n_channels (coverage);
  guint8 *o = gdk_pixbuf_get_pixels (out);
  const guint8 *a = gdk_pixbuf_read_pixels (after), *c = gdk_pixbuf_read_pixels (coverage);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double m = c[y * sc + x * nc] / 255.0;
      guint8 *q = o + y * so + x * no;
      const guint8 *e = a + y * sa + x * na;
      for (int k = 0; k < 3; k++)
        q[k] = m >= 1.0 ? e[k] : m <= 0.0 ? q[k] : to_encoded (linear[q[k]] + m * (linear[e[k]] - linear[q[k]]));
    }
  return out;
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

/* The coverage of the visible region as a gray pixbuf of size w x h. */
static GdkPixbuf *
coverage_pixbuf (const SePreview *p, int w, int h)
{
  g_autoptr (GdkPixbuf) full = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) p->visible_w,
                                               (int) p->visible_h);
  int stride = gdk_pixbuf_get_rowstride (full);
  guint8 *px = gdk_pixbuf_get_pixels (full);
  for (guint y = 0; y < p->visible_h; y++)
    for (guint x = 0; x < p->visible_w; x++) {
      float c = p->coverage ? p->coverage[(gsize) y * p->region.width + x] : 1.0f;
      memset (px + y * stride + x * 3, (int) lroundf (CLAMP (c, 0.0f, 1.0f) * 255.0f), 3);
    }
  return gdk_pixbuf_scale_simple (full, w, h, GDK_INTERP_BILINEAR);
}

static void
layers_clear (Layers *l)
{
  g_clear_object (&l->before);
  g_clear_object (&l->after);
  g_clear_object (&l->coverage);
}

/* The region, its coverage and the result at a long side of size. */
static void
layers_make (SePreview *p, Layers *l, guint size)
{
  layers_clear (l);
  l->before = se_preview_pixbuf (&p->region, p->visible_x, p->visible_y, p->aspect, size);
  l->coverage = coverage_pixbuf (p, gdk_pixbuf_get_width (l->before), gdk_pixbuf_get_height (l->before));
  if (p->result)
    l->after = se_preview_pixbuf (p->result, p->visible_x, p->visible_y, p->aspect, size);
}

static SePreviewShow
show_chosen (const SePreview *p)
{
  gint i = gtk_combo_box_get_active (GTK_COMBO_BOX (p->show));
  return i < 0 ? SE_PREVIEW_SHOW_RESULT : (SePreviewShow) i;
}

/* The chosen view at one scale. */
static GdkPixbuf *
view (const SePreview *p, const Layers *l)
{
  SePreviewShow show = show_chosen (p);
  if (show == SE_PREVIEW_SHOW_MASKS)
    return p->masks ? tinted (p, l->before) : g_object_ref (l->before);
  if (show == SE_PREVIEW_SHOW_BEFORE || l->after == NULL)
    return g_object_ref (l->before);
  GdkPixbuf *composed = se_preview_compose (l->before, l->after, l->coverage);
  if (show == SE_PREVIEW_SHOW_SPLIT) {
    int w = gdk_pixbuf_get_width (composed), h = gdk_pixbuf_get_height (composed);
    int left = (int) lround (p->split * w);
    if (left > 0)
      gdk_pixbuf_copy_area (l->before, 0, 0, MIN (left, w), h, composed, 0, 0);
  }
  return composed;
}

static gboolean
zoomed (const SePreview *p)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (p->zoom));
}

static void
refresh (SePreview *p)
{
  g_clear_object (&p->shown_fit);
  g_clear_object (&p->shown_full);
  p->shown_fit = view (p, &p->fit);
  if (zoomed (p)) {
    if (p->full.before == NULL)
      layers_make (p, &p->full, MAX (p->visible_w, p->visible_h));
    p->shown_full = view (p, &p->full);
  }
  gtk_widget_queue_draw (p->area);
}

/* ---- drawing and the mouse ---- */

/* What is drawn, and where its top-left lands in the box. */
static GdkPixbuf *
drawn (const SePreview *p, int *x0, int *y0)
{
  GtkAllocation a;
  gtk_widget_get_allocation (p->area, &a);
  GdkPixbuf *pix = zoomed (p) && p->shown_full ? p->shown_full : p->shown_fit;
  int w = gdk_pixbuf_get_width (pix), h = gdk_pixbuf_get_height (pix);
  if (pix == p->shown_full) {   /* 1:1: panned, or centred when smaller than the box */
    *x0 = w <= a.width ? (a.width - w) / 2 : -(int) p->pan_x;
    *y0 = h <= a.height ? (a.height - h) / 2 : -(int) p->pan_y;
  } else {
    *x0 = (a.width - w) / 2;
    *y0 = (a.height - h) / 2;
  }
  return pix;
}

static void
paint (GtkWidget *area, cairo_t *cr, gpointer data)
{
  SePreview *p = data;
  int x0, y0;
  GdkPixbuf *pix = drawn (p, &x0, &y0);
  int w = gdk_pixbuf_get_width (pix), h = gdk_pixbuf_get_height (pix);
  gdk_cairo_set_source_pixbuf (cr, pix, x0, y0);
  cairo_rectangle (cr, MAX (0, x0), MAX (0, y0), w, h);
  cairo_fill (cr);
  if (show_chosen (p) == SE_PREVIEW_SHOW_SPLIT && p->fit.after) {
    /* the divider: a white and a black line, seen on any picture */
    int x = x0 + (int) lround (p->split * w);
    cairo_set_source_rgb (cr, 1, 1, 1);
    cairo_rectangle (cr, x, MAX (0, y0), 1, h + 1);
    cairo_fill (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
    cairo_rectangle (cr, x + 1, MAX (0, y0), 1, h + 1);
    cairo_fill (cr);
  }
}

static void
clamp_pan (SePreview *p)
{
  if (p->shown_full == NULL)
    return;
  GtkAllocation a;
  gtk_widget_get_allocation (p->area, &a);
  p->pan_x = CLAMP (p->pan_x, 0.0, MAX (0.0, gdk_pixbuf_get_width (p->shown_full) - (double) a.width));
  p->pan_y = CLAMP (p->pan_y, 0.0, MAX (0.0, gdk_pixbuf_get_height (p->shown_full) - (double) a.height));
}

static gboolean
on_press (GtkWidget *area, GdkEventButton *event, SePreview *p)
{
  if (event->button != 1)
    return FALSE;
  int x0, y0;
  GdkPixbuf *pix = drawn (p, &x0, &y0);
  double divider = x0 + p->split * gdk_pixbuf_get_width (pix);
  if (show_chosen (p) == SE_PREVIEW_SHOW_SPLIT && fabs (event->x - divider) <= DIVIDER_GRIP) {
    p->dragging_divider = TRUE;
  } else if (zoomed (p)) {
    p->panning = TRUE;
    p->drag_x = event->x + p->pan_x;
    p->drag_y = event->y + p->pan_y;
  }
  return TRUE;
}

static gboolean
on_motion (GtkWidget *area, GdkEventMotion *event, SePreview *p)
{
  if (p->dragging_divider) {
    int x0, y0;
    GdkPixbuf *pix = drawn (p, &x0, &y0);
    se_preview_set_split (p, (event->x - x0) / gdk_pixbuf_get_width (pix));
  } else if (p->panning) {
    p->pan_x = p->drag_x - event->x;
    p->pan_y = p->drag_y - event->y;
    clamp_pan (p);
    gtk_widget_queue_draw (area);
  }
  return TRUE;
}

static gboolean
on_release (GtkWidget *area, GdkEventButton *event, SePreview *p)
{
  p->dragging_divider = p->panning = FALSE;
  return TRUE;
}

static void
on_zoom (SePreview *p)
{
  refresh (p);
  if (p->shown_full) {          /* 1:1 opens on the middle of the region */
    GtkAllocation a;
    gtk_widget_get_allocation (p->area, &a);
    p->pan_x = (gdk_pixbuf_get_width (p->shown_full) - a.width) / 2.0;
    p->pan_y = (gdk_pixbuf_get_height (p->shown_full) - a.height) / 2.0;
    clamp_pan (p);
  }
}

static void
on_show_changed (SePreview *p)
{
  if (gtk_combo_box_get_active (GTK_COMBO_BOX (p->show)) == SE_PREVIEW_SHOW_MASKS && !p->masks_available)
    gtk_combo_box_set_active (GTK_COMBO_BOX (p->show), SE_PREVIEW_SHOW_RESULT);   /* LEDITS has none */
  else
    refresh (p);
}

static void
on_destroy (GtkWidget *w, SePreview *p)
{
  layers_clear (&p->fit);
  layers_clear (&p->full);
  g_clear_object (&p->shown_fit);
  g_clear_object (&p->shown_full);
  if (p->result)
    g_free (p->result->data);
  g_free (p->result);
  g_free (p->region.data);
  g_free (p->coverage);
  g_free (p->masks);
  g_free (p);
}

SePreview *
se_preview_new (const SeImage *before, guint visible_w, guint visible_h, const float *coverage)
{
  SePreview *p = g_new0 (SePreview, 1);
  gsize n = (gsize) before->width * before->height;
  p->region = (SeImage) { before->width, before->height, g_memdup2 (before->data, 3 * n * sizeof (float)) };
  p->coverage = coverage ? g_memdup2 (coverage, n * sizeof (float)) : NULL;
  p->visible_w = visible_w;
  p->visible_h = visible_h;
  p->visible_x = (double) visible_w / before->width;
  p->visible_y = (double) visible_h / before->height;
  p->aspect = (double) visible_w / visible_h;
  p->split = 0.5;
  layers_make (p, &p->fit, PREVIEW_SIZE);

  p->box = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
  p->area = gtk_drawing_area_new ();
  gtk_widget_set_size_request (p->area, PREVIEW_SIZE, PREVIEW_SIZE);
  gtk_widget_add_events (p->area, GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK | GDK_POINTER_MOTION_MASK);
  se_ui_connect_paint (p->area, paint, p);
  g_signal_connect (p->area, "button-press-event", G_CALLBACK (on_press), p);
  g_signal_connect (p->area, "motion-notify-event", G_CALLBACK (on_motion), p);
  g_signal_connect (p->area, "button-release-event", G_CALLBACK (on_release), p);
  gtk_container_add (GTK_CONTAINER (frame), p->area);
  gtk_box_pack_start (GTK_BOX (p->box), frame, TRUE, TRUE, 0);

  GtkWidget *row = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  p->show = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->show), _("The result, as OK will make it"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->show), _("The region as it is"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->show), _("Before | after (drag the divider)"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (p->show), _("Concept masks (LEDITS++)"));
  gtk_combo_box_set_active (GTK_COMBO_BOX (p->show), SE_PREVIEW_SHOW_RESULT);
  gimp_help_set_help_data (p->show, _("What the preview shows. The masks: LEDITS++ tints where each concept may "
                                      "change the region, in the concept's colour (during an edit the step's "
                                      "mask, after it how often each place was inside it)"), NULL);
  g_signal_connect_swapped (p->show, "changed", G_CALLBACK (on_show_changed), p);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("Sho_w:"));
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), p->show);
  gtk_box_pack_start (GTK_BOX (row), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row), p->show, TRUE, TRUE, 0);
  p->zoom = gtk_toggle_button_new_with_mnemonic (_("_1:1"));
  gimp_help_set_help_data (p->zoom, _("One pixel of the region to one of the screen (drag to move around); off: "
                                      "the whole region fitted"), NULL);
  g_signal_connect_swapped (p->zoom, "toggled", G_CALLBACK (on_zoom), p);
  gtk_box_pack_start (GTK_BOX (row), p->zoom, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (p->box), row, FALSE, FALSE, 0);
  g_signal_connect (p->box, "destroy", G_CALLBACK (on_destroy), p);
  refresh (p);
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
  if (p->result)
    g_free (p->result->data);
  g_clear_pointer (&p->result, g_free);
  if (result) {
    p->result = g_new (SeImage, 1);
    *p->result = (SeImage) { result->width, result->height,
                             g_memdup2 (result->data, 3 * sizeof (float) * result->width * result->height) };
    p->updates++;
  }
  g_clear_object (&p->fit.after);
  if (p->result)
    p->fit.after = se_preview_pixbuf (p->result, p->visible_x, p->visible_y, p->aspect, PREVIEW_SIZE);
  layers_clear (&p->full);      /* made again at 1:1 when shown */
  refresh (p);
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

void
se_preview_set_masks_available (SePreview *p, gboolean available)
{
  p->masks_available = available;
  if (!available && gtk_combo_box_get_active (GTK_COMBO_BOX (p->show)) == SE_PREVIEW_SHOW_MASKS)
    gtk_combo_box_set_active (GTK_COMBO_BOX (p->show), SE_PREVIEW_SHOW_RESULT);
  refresh (p);
}

GtkComboBox *
se_preview_show_combo (SePreview *p)
{
  return GTK_COMBO_BOX (p->show);
}

GtkToggleButton *
se_preview_zoom_toggle (SePreview *p)
{
  return GTK_TOGGLE_BUTTON (p->zoom);
}

void
se_preview_set_split (SePreview *p, double at)
{
  p->split = CLAMP (at, 0.0, 1.0);
  refresh (p);
}

guint
se_preview_updates (const SePreview *p)
{
  return p->updates;
}

GdkPixbuf *
se_preview_displayed (const SePreview *p)
{
  return p->shown_fit;
}
