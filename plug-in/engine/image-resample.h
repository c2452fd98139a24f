/* image-resample.h: the float plane resampler behind se_image_resize
 * (image.c, detail.c; the plug-in scales the selection's coverage with it,
 * through engine.h). */
#pragma once

#include <glib.h>

/* src (sw x sh) -> dst (dw x dh): separable triangle (bilinear) filter,
 * widened when shrinking, edges clamped.  FALSE, with error, when its
 * intermediate plane does not fit in memory. */
gboolean se_plane_resize (const float *src, guint sw, guint sh, float *dst, guint dw, guint dh, GError **error);
