/* step-progress.c: progress texts with step counts and time left (step-progress.h). */
#include "step-progress.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

void
se_step_progress_init (SeStepProgress *p, guint invert_steps, guint edit_steps)
{
  *p = (SeStepProgress) { invert_steps, edit_steps, 0, 0, 0, 0 };
}

double
se_step_progress_seconds_per_step (const SeStepProgress *p)
{
  return p->units_to > p->units_from ? (double) (p->timed_to - p->timed_from) / 1e6 / (p->units_to - p->units_from)
                                     : 0.0;
}

char *
se_step_progress_duration (double seconds)
{
  if (seconds < 90)
    return g_strdup_printf (_("about %u s"), (guint) MAX (1, lround (seconds)));
  return g_strdup_printf (_("about %u min"), (guint) lround (seconds / 60));
}

char *
se_step_progress_time_left (double seconds)
{
  if (seconds < 90)
    return g_strdup_printf (_("about %u s left"), (guint) MAX (1, lround (seconds)));
  return g_strdup_printf (_("about %u min left"), (guint) lround (seconds / 60));
}

char *
se_step_progress_update (SeStepProgress *p, const char *phase, guint done, guint total, double *fraction)
{
  gboolean invert = strcmp (phase, "invert") == 0;
  gboolean decoding = !invert && done + 1 >= total;
  guint all = p->invert_steps + p->edit_steps + 1;
  guint units = MIN ((invert ? 0 : p->invert_steps) + done, all);
  *fraction = (double) units / all;
  /* the rate from the first report on: loading and encoding, before it,
   * cost what they cost once */
  gint64 now = g_get_monotonic_time ();
  g_autofree char *left = NULL;
  if (p->timed_from == 0) {
    p->timed_from = now;
    p->units_from = units;
  } else if (units > p->units_from) {
    p->timed_to = now;
    p->units_to = units;
    left = se_step_progress_time_left (se_step_progress_seconds_per_step (p) * (all - units));
  }
  g_autofree char *what = decoding ? g_strdup (_("Decoding"))
                        : invert ? g_strdup_printf (_("Inverting: step %u of %u"), done, total)
                                 : g_strdup_printf (_("Editing: step %u of %u"), done, total - 1);
  /* TRANSLATORS: a phase ("Editing: step 12 of 40") and the time left ("about 30 s left") */
  return left ? g_strdup_printf (_("%s, %s"), what, left) : g_strdup_printf ("%s…", what);
}
