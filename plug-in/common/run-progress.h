/* run-progress.h: how a final render reports itself, the same in both GIMP
 * front ends: each phase's text, the steps with the time left, the
 * decoding after the edit's last step as a phase of its own, and with
 * SE_VERBOSE set a line on stderr naming each phase with its start time
 * (the tests kill the plug-in in each phase, as GIMP's Cancel does).  The
 * front end shows the texts (its progress bar, its dialog). */
#pragma once

#include "render.h"
#include "step-progress.h"

G_BEGIN_DECLS

/* Shows text and the fraction of the run done (< 0: unchanged). */
typedef void (*SeRunShowFunc) (const char *text, double fraction, gpointer data);

typedef struct {
  SeStepProgress steps;
  gint64 start;
  gboolean verbose;
  SeRunShowFunc show;
  gpointer data;
} SeRunProgress;

void se_run_progress_init (SeRunProgress *p, const SeRecipe *recipe, SeRunShowFunc show, gpointer data);
/* A new phase: "load", "encode", "invert", "edit", "decode", "write". */
void se_run_progress_enter (SeRunProgress *p, const char *key, const char *text);
/* The callbacks se_render_region reports through. */
SeRenderProgress se_run_progress_render (SeRunProgress *p);

G_END_DECLS
