/* run-progress.c: a final render's progress reports (run-progress.h). */
#include "run-progress.h"

#include <string.h>
#include <glib/gi18n-lib.h>

void
se_run_progress_init (SeRunProgress *p, const SeRecipe *recipe, SeRunShowFunc show, gpointer data)
{
  *p = (SeRunProgress) { .start = g_get_monotonic_time (), .verbose = g_getenv ("SE_VERBOSE") != NULL,
                         .show = show, .data = data };
  se_step_progress_init (&p->steps, se_recipe_inverted_steps (recipe), recipe->steps - recipe->skip);
}

void
se_run_progress_enter (SeRunProgress *p, const char *key, const char *text)
{
  p->show (text, -1, p->data);
  if (p->verbose)
    g_printerr ("semantic-edit: phase %s at %.3f s\n", key, (double) (g_get_monotonic_time () - p->start) / 1e6);
}

static void
on_phase (const char *key, const char *text, gpointer data)
{
  se_run_progress_enter (data, key, text);
}

static void
on_steps (const char *phase, guint done, guint total, gpointer data)
{
  SeRunProgress *p = data;
  double fraction;
  g_autofree char *steps = se_step_progress_update (&p->steps, phase, done, total, &fraction);
  /* TRANSLATORS: %s is a phase with its steps, "Editing: step 12 of 40, about 30 s left" */
  g_autofree char *text = g_strdup_printf (_("Semantic Edit: %s"), steps);
  p->show (text, fraction, p->data);
  /* the edit's total counts the decoding that follows its last step */
  if (strcmp (phase, "edit") == 0 && done + 1 == total)
    se_run_progress_enter (p, "decode", text);
}

SeRenderProgress
se_run_progress_render (SeRunProgress *p)
{
  return (SeRenderProgress) { on_phase, on_steps, p };
}
