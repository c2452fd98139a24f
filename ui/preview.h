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
/* How many times a result was shown, and what is on screen now (tests). */
guint      se_preview_updates (const SePreview *p);
GdkPixbuf *se_preview_displayed (const SePreview *p);
/* The visible part of img as a pixbuf scaled to fit a long side of size. */
GdkPixbuf *se_preview_pixbuf (const SeImage *img, double visible_x, double visible_y, guint size);

G_END_DECLS
