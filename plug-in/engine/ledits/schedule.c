/* schedule.c: betas, alphas_cumprod, timesteps. */
#include "schedule.h"

#include <math.h>

void
se_schedule_alphas_cumprod (double out[SE_TRAIN_STEPS])
{
  /* As torch 2 computes it: linspace in float32 from both ends toward the
   * middle, each point start + step * i rounded once (exact in double),
   * squared in float32; cumprod accumulating in double (CPU acc_type) with
   * each output rounded to float32.  schedule.json holds these values. */
  float lo = (float) sqrt (0.00085), hi = (float) sqrt (0.012);
  float step = (hi - lo) / (float) (SE_TRAIN_STEPS - 1);
  double acc = 1.0;
  for (guint i = 0; i < SE_TRAIN_STEPS; i++) {
    float root = i < SE_TRAIN_STEPS / 2 ? (float) ((double) lo + (double) step * i)
                                        : (float) ((double) hi - (double) step * (SE_TRAIN_STEPS - 1 - i));
    float beta = root * root;
    acc *= (double) (1.0f - beta);
    out[i] = (float) acc;
  }
}

SeSchedule *
se_schedule_new (guint steps)
{
  g_return_val_if_fail (steps >= 1 && steps <= SE_TRAIN_STEPS, NULL);
  SeSchedule *s = g_new0 (SeSchedule, 1);
  s->steps = steps;
  se_schedule_alphas_cumprod (s->alphas_cumprod);
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
