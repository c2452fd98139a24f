/* last-values.h: what the dialog showed when it last closed (Cancel
 * included, so nothing typed is lost), kept in semantic-edit.json in GIMP's
 * profile folder.  Toolkit-free: both GIMP front ends use it. */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

typedef struct {
  char *model;
  char *recipe;                 /* JSON */
  gint32 seed;
  guint candidates;             /* the dialog's candidate count, 1..8 */
  gboolean live_preview;        /* the dialog's live preview toggle */
} SeLastValues;

/* The values in the file at path; a missing or unreadable file leaves the
 * defaults (one candidate, live preview on). */
void se_last_values_load (SeLastValues *v, const char *path);
/* Writes v with recipe (v->recipe is not read) to path; a profile that
 * cannot be written only loses the last values, so it just says so. */
void se_last_values_save (const SeLastValues *v, const SeRecipe *recipe, const char *path);
void se_last_values_clear (SeLastValues *v);

G_END_DECLS
