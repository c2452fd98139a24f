/* image-pixbuf.h: SeImage (planar RGB in [-1, 1]) to and from 8-bit
 * GdkPixbufs, for the command-line tool's files and the dialog's previews. */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "engine.h"

G_BEGIN_DECLS

/* RGB of pb (alpha dropped); data allocated with g_malloc, NULL with error
 * when it does not fit in memory. */
SeImage    se_image_from_pixbuf (GdkPixbuf *pb, GError **error);
/* The top-left width x height pixels of img; NULL when they do not fit in
 * memory. */
GdkPixbuf *se_image_to_pixbuf (const SeImage *img, guint width, guint height);

G_END_DECLS
