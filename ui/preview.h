/* preview.h: the dialog's preview area.  It shows the region as OK will
 * compose it: the edit through the selection's coverage, mixed with the
 * region in linear light as GIMP mixes a layer through its mask; or the
 * region as it is; or both split by a divider the mouse drags; or LEDITS++'s
 * concept masks over the region.  Fitted to its box, or at 1:1 (one pixel
 * of the working image to one of the screen), dragged to pan. */
#pragma once

#include <gtk/gtk.h>

#include "engine.h"

G_BEGIN_DECLS

typedef struct _SePreview SePreview;

typedef enum {
  SE_PREVIEW_SHOW_RESULT,       /* the edit, composed as OK composes it */
  SE_PREVIEW_SHOW_BEFORE,       /* the region as it is */
  SE_PREVIEW_SHOW_SPLIT,        /* before left of the divider, the result right of it */
  SE_PREVIEW_SHOW_MASKS,        /* LEDITS++: each concept's mask tinted over the region */
} SePreviewShow;

/* before: the working image, of which the top-left visible_w x visible_h
 * pixels are the region (the rest is padding); coverage: the selection's
 * share of each of its pixels (0..1, before's size), or NULL for
 * everywhere.  Both copied.  Freed with its widget. */
SePreview *se_preview_new (const SeImage *before, guint visible_w, guint visible_h, const float *coverage);
GtkWidget *se_preview_widget (SePreview *p);
/* An image with the working image's aspect, at any resolution (NULL: none). */
void       se_preview_set_result (SePreview *p, const SeImage *result);
/* LEDITS++'s concept masks (shown in the masks view): concepts masks of
 * lw x lh values in [0, 1] over the working image (copied; NULL or 0
 * concepts: none), shown with the next se_preview_set_result. */
void       se_preview_set_masks (SePreview *p, const double *masks, guint concepts, guint lw, guint lh);
/* Whether the masks view can be chosen (LEDITS++). */
void       se_preview_set_masks_available (SePreview *p, gboolean available);
/* Concept c's tint. */
void       se_preview_mask_color (guint c, guint8 rgb[3]);
/* The view chooser and the 1:1 toggle (tests drive them). */
GtkComboBox     *se_preview_show_combo (SePreview *p);
GtkToggleButton *se_preview_zoom_toggle (SePreview *p);
/* The split view's divider, as a share of the width from the left. */
void       se_preview_set_split (SePreview *p, double at);
/* How many times a result was shown, and what is on screen now, fitted to
 * the box (tests). */
guint      se_preview_updates (const SePreview *p);
GdkPixbuf *se_preview_displayed (const SePreview *p);
/* The visible part of img (visible_x, visible_y: its share of each side)
 * as a pixbuf of the region's aspect (width / height) with a long side of
 * size: a preview computed at a working size of another aspect (sides
 * rounded to multiples of 64) is shown undistorted. */
GdkPixbuf *se_preview_pixbuf (const SeImage *img, double visible_x, double visible_y, double aspect, guint size);
/* dst = before mixed with after by coverage (0..255 in a third pixbuf's
 * first channel), in linear light (sRGB curves), as GIMP composes a layer
 * through its mask: all three of one size. */
GdkPixbuf *se_preview_compose (GdkPixbuf *before, GdkPixbuf *after, GdkPixbuf *coverage);

G_END_DECLS
