/* step-progress.h: what a long run says about itself: its phase with step
 * counts and, once steps have been timed, the time left ("Editing: step 12
 * of 40, about 30 s left").  Toolkit-free: the dialog's preview and the
 * plug-in's final render both word their progress with it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint invert_steps, edit_steps;       /* of the whole run; decoding counts as one step more */
  gint64 timed_from;                    /* monotonic µs at the first report; 0: none yet */
  guint units_from;                     /* steps done then */
  gint64 timed_to;                      /* and at the last report */
  guint units_to;
} SeStepProgress;

void  se_step_progress_init (SeStepProgress *p, guint invert_steps, guint edit_steps);
/* A report from the engine's progress function (phase "invert" or "edit";
 * the edit's total counts the decoding after its last step): the text to
 * show (newly allocated) and the fraction of the whole run done. */
char *se_step_progress_update (SeStepProgress *p, const char *phase, guint done, guint total, double *fraction);
/* Seconds per step between the first and the last report; 0: unknown. */
double se_step_progress_seconds_per_step (const SeStepProgress *p);
/* "about 30 s left", "about 4 min left" (newly allocated). */
char *se_step_progress_time_left (double seconds);
/* "about 30 s", "about 4 min" (newly allocated). */
char *se_step_progress_duration (double seconds);

G_END_DECLS
