/* edit.h: one image through the engine, as the command-line tool edits it.
 *
 * Without a mask the whole image is edited at its working size (resized
 * there and back; a .safetensors input is taken exactly).  With a mask, like
 * a selection in GIMP: the mask's bounding box grown by a context margin is
 * edited at the working size (padded, not distorted), and the result is
 * blended into the image by the mask's weights, so every pixel where the
 * mask is black keeps the input's exact value.  With the recipe's detail
 * (the default) the result is the edit's change added to the input's own
 * pixels (se_image_result). */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

typedef struct {
  SeModel *model;
  const SeRecipe *recipe;
  guint size;                   /* working long side */
  guint64 seed;                 /* of candidate 0; candidate k gets seed + k */
  guint candidates;
  const char *noise;            /* take the inversion's draws from this file (one candidate) */
  const char *dump;             /* write the first candidate's tensors here */
  GCancellable *cancel;
  SeProgressFunc progress;
  gpointer progress_data;
} SeCliEdit;

/* Images smaller than this on a side are refused. */
#define SE_CLI_MIN_SIDE 16

/* Edits input (within mask, NULL for all of it) and writes candidate k to
 * outputs[k]; nothing is written unless every candidate was made.  *edited
 * is FALSE when an all-black mask left nothing to edit (the outputs are
 * then copies of the input).  A cancelled edit fails with
 * G_IO_ERROR_CANCELLED. */
gboolean se_cli_edit_image (const SeCliEdit *e, const char *input, const char *mask, char *const *outputs,
                            gboolean *edited, GError **error);

G_END_DECLS
