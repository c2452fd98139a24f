/* region.h (GIMP 3): the part of a drawable an edit works on, and the layer
 * the result becomes: GIMP 2's plug-in/region.h over libgimp 3's objects.
 * The region is the selection's bounding box on the drawable grown by a
 * context margin (se_box_with_context), read as gamma-encoded float RGB in
 * the image's colour space, scaled and padded for the model
 * (se_image_to_work). */
#pragma once

#include <libgimp/gimp.h>

#include "engine.h"

typedef struct {
  GimpImage *image;
  GimpDrawable *drawable;
  gint x, y, width, height;     /* region in drawable coordinates */
  guint scaled_w, scaled_h;     /* the region scaled, before padding */
  SeImage original;             /* the region at its own resolution (owned) */
  SeImage work;                 /* padded working image (owned) */
} SeRegion3;

gboolean se_region3_read (SeRegion3 *r, GimpImage *image, GimpDrawable *drawable, guint multiple, guint long_side,
                          GError **error);
/* A re-opened edit's region: where its result layer lies over the source
 * drawable. */
gboolean se_region3_read_result (SeRegion3 *r, GimpImage *image, GimpDrawable *source, GimpLayer *result,
                                 guint multiple, guint long_side, GError **error);
void     se_region3_clear (SeRegion3 *r);
/* The share of each working-image pixel (0..1; the padding 0) that the
 * result will cover: the selection's (a new edit), or the mask of the
 * re-opened edit's layer (result; NULL: a new edit).  NULL with error
 * unset where it covers everything (no selection, no mask). */
float   *se_region3_coverage (const SeRegion3 *r, GimpLayer *result, GError **error);
/* The result (the region's size) as a new layer above the drawable, in its
 * group, with a mask from the selection (white without one), the edit's
 * record attached (record_json), all in one undo group.  NULL on failure,
 * the image as it was. */
GimpLayer *se_region3_write_layer (const SeRegion3 *r, const SeImage *result, const char *name,
                                   const char *record_json, GError **error);
/* A re-opened edit's result replacing its layer's pixels in place (same
 * layer, name and mask), with its record, in one undo group. */
gboolean   se_region3_replace_layer (const SeRegion3 *r, const SeImage *result, GimpLayer *layer,
                                     const char *record_json, GError **error);
