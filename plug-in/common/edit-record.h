/* edit-record.h: what a result layer remembers of the edit that made it,
 * so that the edit can be re-opened and changed later.
 *
 * Kept as a persistent, undoable parasite ("semantic-edit-record") on the
 * layer: a JSON object with the recipe, the model path, the seed the
 * inversion used, the candidate chosen in the dialog, the working size and
 * the source layer's tattoo.  It is saved in XCF files, copied with the
 * layer, and restored by undo with the pixels it describes. */
#pragma once

#include "engine.h"

#define SE_EDIT_RECORD_PARASITE "semantic-edit-record"

typedef struct {
  char *model;
  SeRecipe *recipe;
  gint32 seed;                  /* the inversion's (the chosen candidate's own) */
  guint candidate;              /* which of the dialog's candidates it was (0: the first) */
  guint working_size;           /* the long side the model saw */
  gint32 source_tattoo;         /* the layer the edit was made from */
} SeEditRecord;

void     se_edit_record_clear (SeEditRecord *r);
/* The record as the parasite's text, and back (the front ends attach and
 * read the parasite: edit-record-parasite.c, gimp3/).  from_json: FALSE
 * with a message saying what to do when it cannot be read (hostile data
 * included: it comes from XCF files anyone can send). */
char    *se_edit_record_to_json (const SeEditRecord *rec);
gboolean se_edit_record_from_json (const char *data, gsize size, SeEditRecord *rec, GError **error);
/* GIMP 2.10 (edit-record-parasite.c): attaches rec to layer (replacing an
 * older one; undoable); reads a layer's: TRUE with rec filled when it
 * carries one, FALSE without one (error unset) or with an unreadable one
 * (error set). */
gboolean se_edit_record_attach (gint32 layer, const SeEditRecord *rec, GError **error);
gboolean se_edit_record_read (gint32 layer, SeEditRecord *rec, GError **error);
