/* test_step_progress.c: the progress texts the dialog and the plug-in
 * show (ui/step-progress.c): the phase with its step counts, the fraction
 * of the whole run, and the time left once steps have been timed. */
#include <string.h>

#include "step-progress.h"

static void
check (SeStepProgress *p, const char *phase, guint done, guint total, const char *want_prefix, double want_fraction,
       gboolean want_estimate)
{
  double fraction;
  g_autofree char *text = se_step_progress_update (p, phase, done, total, &fraction);
  g_test_message ("%s %u/%u: %s (%.3f)", phase, done, total, text, fraction);
  g_assert_true (g_str_has_prefix (text, want_prefix));
  g_assert_cmpfloat_with_epsilon (fraction, want_fraction, 1e-12);
  g_assert_true ((strstr (text, " left") != NULL) == want_estimate);
}

static void
test_phases (void)
{
  SeStepProgress p;
  /* 4 inversion steps, 6 edit steps, then the decoding: 11 units */
  se_step_progress_init (&p, 4, 6);
  check (&p, "invert", 1, 4, "Inverting: step 1 of 4…", 1.0 / 11, FALSE);   /* not timed yet */
  g_usleep (20000);
  check (&p, "invert", 2, 4, "Inverting: step 2 of 4, about ", 2.0 / 11, TRUE);
  check (&p, "edit", 0, 7, "Editing: step 0 of 6, about ", 4.0 / 11, TRUE);
  check (&p, "edit", 3, 7, "Editing: step 3 of 6, about ", 7.0 / 11, TRUE);
  check (&p, "edit", 6, 7, "Decoding, about ", 10.0 / 11, TRUE);      /* the edit's total counts the decoding */
}

static void
test_time_left (void)
{
  g_autofree char *seconds = se_step_progress_time_left (29.6);
  g_assert_cmpstr (seconds, ==, "about 30 s left");
  g_autofree char *least = se_step_progress_time_left (0.2);
  g_assert_cmpstr (least, ==, "about 1 s left");
  g_autofree char *minutes = se_step_progress_time_left (250);
  g_assert_cmpstr (minutes, ==, "about 4 min left");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/step-progress/phases", test_phases);
  g_test_add_func ("/step-progress/time-left", test_time_left);
  return g_test_run ();
}
