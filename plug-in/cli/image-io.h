/* image-io.h: images in and out of the command-line tool.
 *
 * PNG, JPEG and TIFF (anything gdk-pixbuf reads) become planar RGB in
 * [-1, 1] (gamma-encoded values, as Stable Diffusion expects; alpha is
 * dropped); a .safetensors file holding `image` [1, 3, H, W] in [-1, 1] is
 * read exactly, for testing.  Results are written as 8-bit PNG, through a
 * temporary file renamed into place, so a result file is either absent or
 * complete.  Masks are images whose gray level weights the edit (white:
 * edited, black: kept exactly). */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

/* Fills img (data owned by the caller). */
gboolean se_image_load (const char *path, SeImage *img, GError **error);
gboolean se_image_save_png (const SeImage *img, const char *path, GError **error);
/* A mask's weights in [0, 1] (the mean of R, G and B over 255), row-major;
 * *weights owned by the caller. */
gboolean se_mask_load (const char *path, guint *width, guint *height, float **weights, GError **error);

G_END_DECLS
