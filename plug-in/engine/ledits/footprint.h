/* footprint.h: how much device memory a run will take, beyond the weights.
 *
 * Measured, not modelled: each network records one evaluation (nothing is
 * run) at two small sizes, and its peak working memory is fitted as
 * fixed + per_pixel * pixels, which the fused attention keeps linear.  A
 * UNet evaluation is captured as a session records it (its arena held for
 * replays), per batch element. */
#pragma once

#include "gpu/memory.h"

G_BEGIN_DECLS

typedef struct {
  double fixed, per_pixel;      /* bytes, bytes per image pixel */
} SeFootprintLine;

typedef struct {
  gboolean measured;
  SeFootprintLine unet;         /* one batch element's captured evaluation */
  SeFootprintLine encode, decode, text;
} SeFootprint;

typedef struct _SeModel SeModel;
gboolean     se_footprint_measure (SeModel *model, SeFootprint *out, GError **error);
/* Bytes for width x height pixels (and batch elements for the UNet). */
VkDeviceSize se_footprint_bytes (const SeFootprintLine *line, guint width, guint height, guint batch);

G_END_DECLS
