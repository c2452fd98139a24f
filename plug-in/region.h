/* region.h: the part of a GIMP drawable an edit works on, and the layer the
 * result becomes.  The only code besides semantic-edit.c that calls libgimp.
 *
 * The region is the selection's bounding box on the drawable, grown by a
 * context margin and clipped to the layer (the whole layer without a
 * selection).  It is read through GEGL as gamma-encoded float RGB in the
 * image's colour space (any precision, RGB or gray, alpha ignored), scaled so
 * the long side is about `long_side` pixels, and padded by repeating its
 * edges to multiples of `multiple` (padding rather than distorting). */
#pragma once

#include <libgimp/gimp.h>

#include "engine.h"

typedef struct {
  gint32 image, drawable;
  gint x, y, width, height;     /* region in drawable coordinates */
  guint scaled_w, scaled_h;     /* the region scaled, before padding */
  SeImage original;             /* the region at its own resolution (owned) */
  SeImage work;                 /* padded working image (owned) */
} SeRegion;

gboolean se_region_read (SeRegion *r, gint32 image, gint32 drawable, guint multiple,
                         guint long_side, GError **error);
/* The same for a given box of the drawable instead of the selection's. */
gboolean se_region_read_box (SeRegion *r, gint32 image, gint32 drawable, SeBox box, guint multiple,
                             guint long_side, GError **error);
/* The region of source under an earlier result layer (re-opening an edit):
 * the result's own extent; an error when it no longer lies on source. */
gboolean se_region_read_result (SeRegion *r, gint32 image, gint32 source, gint32 result, guint multiple,
                                guint long_side, GError **error);
void     se_region_clear (SeRegion *r);
/* The share of each working-image pixel (0..1; the padding 0) that the
 * result will cover: the selection's (a new edit), or the mask of the
 * re-opened edit's layer `result` (-1: a new edit).  NULL with error unset
 * where it covers everything (no selection, no mask). */
float   *se_region_coverage (const SeRegion *r, gint32 result, GError **error);

/* Puts a result of the region's size (se_image_result) back as a new
 * layer above the drawable at the region's place, with a layer mask from
 * the selection (white without one).  Returns the layer or -1. */
gint32   se_region_write_layer (const SeRegion *r, const SeImage *result, const char *name,
                                GError **error);
/* Replaces the pixels of an earlier result layer of the region's size (its
 * name, mask and place kept) as one undo step. */
gboolean se_region_replace_layer (const SeRegion *r, const SeImage *result, gint32 layer, GError **error);
