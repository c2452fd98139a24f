/* preview.h: the dialog's preview area: the region as it is or an edit
 * result, fitted to a fixed box, with a before/after toggle. */
#pragma once

#include <gtk/gtk.h>

#include "engine.h"

G_BEGIN_DECLS

typedef struct _SePreview SePreview;

/* before: the working image, of which the top-left visible_w x visible_h
 * pixels are the region (the rest is padding).  Freed with its widget. */
SePreview *se_preview_new (const SeImage *before, guint visible_w, guint visible_h);
GtkWidget *se_preview_widget (SePreview *p);
/* An image with the working image's aspect, at any resolution (NULL: none). */
void       se_preview_set_result (SePreview *p, const SeImage *result);
/* LEDITS++'s concept masks to tint over the image when "Show masks" is on:
 * concepts masks of lw x lh values in [0, 1] over the working image
 * (copied; NULL or 0 concepts: none), shown with the next
 * se_preview_set_result (one composition per update). */
void       se_preview_set_masks (SePreview *p, const double *masks, guint concepts, guint lw, guint lh);
/* Concept c's tint. */
void       se_preview_mask_color (guint c, guint8 rgb[3]);
GtkToggleButton *se_preview_masks_toggle (SePreview *p);
GtkToggleButton *se_preview_before_toggle (SePreview *p);
/* How many times a result was shown, and what is on screen now (tests). */
guint      se_preview_updates (const SePreview *p);
GdkPixbuf *se_preview_displayed (const SePreview *p);
/* The visible part of img (visible_x, visible_y: its share of each side)
 * as a pixbuf of the region's aspect (width / height) with a long side of
 * size: a preview computed at a working size of another aspect (sides
 * rounded to multiples of 64) is shown undistorted. */
GdkPixbuf *se_preview_pixbuf (const SeImage *img, double visible_x, double visible_y, double aspect, guint size);

G_END_DECLS
