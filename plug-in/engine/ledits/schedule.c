/* schedule.c: betas, alphas_cumprod, timesteps. */
#include "schedule.h"

#include <math.h>

SeSchedule *
se_schedule_new (guint steps)
{
  g_return_val_if_fail (steps >= 1 && steps <= SE_TRAIN_STEPS, NULL);
  SeSchedule *s = g_new0 (SeSchedule, 1);
  s->steps = steps;
  /* float32 like torch: the betas and the running product are rounded to
   * float at each step, which the goldens' schedule.json reflects */
  float lo = sqrtf (0.00085f), hi = sqrtf (0.012f), acc = 1.0f;
  for (guint i = 0; i < SE_TRAIN_STEPS; i++) {
    float b = lo + (hi - lo) * (float) i / (float) (SE_TRAIN_STEPS - 1);
    acc *= 1.0f - b * b;
    s->alphas_cumprod[i] = acc;
  }
  guint ratio = SE_TRAIN_STEPS / steps;
  s->timesteps = g_new (guint, steps);
  for (guint j = 0; j < steps; j++)
    s->timesteps[j] = (steps - 1 - j) * ratio + 1;
  return s;
}

void
se_schedule_free (SeSchedule *s)
{
  if (s == NULL)
    return;
  g_free (s->timesteps);
  g_free (s);
}

double
se_schedule_prev_alpha (const SeSchedule *s, guint t)
{
  gint prev = (gint) t - (gint) (SE_TRAIN_STEPS / s->steps);
  return prev >= 0 ? s->alphas_cumprod[prev] : s->alphas_cumprod[0];
}

double
se_schedule_variance (const SeSchedule *s, guint t)
{
  double a = s->alphas_cumprod[t], ap = se_schedule_prev_alpha (s, t);
  return (1.0 - ap) / (1.0 - a) * (1.0 - a / ap);
}
