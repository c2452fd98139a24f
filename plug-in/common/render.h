/* render.h: the final edit of a region, shared by the GIMP 2.10 and GIMP 3
 * procedures (engine only, no libgimp): encode the working image, invert,
 * edit, and return to the region's own resolution, keeping its detail as
 * the recipe says.  Each front end reads the region and writes the layer
 * its own way around it. */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

typedef struct {
  /* a new phase: key ("encode", "invert", "edit") and its text */
  void (*phase) (const char *key, const char *text, gpointer data);
  SeProgressFunc steps;         /* the engine's step reports */
  gpointer data;
} SeRenderProgress;

/* original: the region at its own resolution; work: its padded working
 * image, of which the top-left scaled_w x scaled_h pixels are the region.
 * Returns the edit at original's size, or data NULL with error set. */
SeImage se_render_region (SeModel *model, const SeImage *original, const SeImage *work, guint scaled_w,
                          guint scaled_h, const SeRecipe *recipe, guint64 seed, const SeRenderProgress *progress,
                          GError **error);

/* The selection's share of each pixel of a region (full: w x h, 0..1) at
 * the working image's size: scaled to its top-left scaled_w x scaled_h
 * pixels, the padding 0 (what the dialog's preview composes through).
 * NULL with error set when out of memory. */
float  *se_render_coverage_to_work (const float *full, guint w, guint h, const SeImage *work, guint scaled_w,
                                    guint scaled_h, GError **error);

/* The result layer's name: "Semantic Edit: +glasses −clutter", or the
 * target prompt. */
char   *se_render_layer_name (const SeRecipe *recipe);

G_END_DECLS
