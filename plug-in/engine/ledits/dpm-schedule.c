/* dpm-schedule.c: DPM-Solver++ (SDE, second order) tables (dpm-schedule.h). */
#include "dpm-schedule.h"

#include <math.h>

#include "ledits/schedule.h"

guint
se_dpm_total_for_skip (guint steps, double skip)
{
  /* Python's int(n * (1 + skip)): double arithmetic, truncated (30 * 1.15 -> 34) */
  double total = (double) steps * (1.0 + skip);
  if (steps == 0 || !(skip >= 0.0 && skip < 1.0) || total >= SE_TRAIN_STEPS)
    return 0;
  return (guint) total;
}

SeDpmSchedule *
se_dpm_schedule_new (guint total, guint steps)
{
  if (steps == 0 || steps > total || total >= SE_TRAIN_STEPS)
    return NULL;
  SeDpmSchedule *s = g_new0 (SeDpmSchedule, 1);
  s->total = total;
  s->steps = steps;
  s->first = s->total - steps;
  double ac[SE_TRAIN_STEPS];
  se_schedule_alphas_cumprod (ac);
  guint ratio = SE_TRAIN_STEPS / (s->total + 1);
  s->timesteps = g_new (guint, s->total);
  s->sigmas = g_new (double, s->total + 1);
  for (guint j = 0; j < s->total; j++) {
    guint t = (s->total - j) * ratio + 1;
    /* float32 throughout, as the scheduler's sigma table */
    float a = (float) ac[t];
    s->timesteps[j] = t;
    s->sigmas[j] = sqrtf ((1.0f - a) / a);
  }
  s->sigmas[s->total] = 0.0;
  return s;
}

void
se_dpm_schedule_free (SeDpmSchedule *s)
{
  if (s == NULL)
    return;
  g_free (s->timesteps);
  g_free (s->sigmas);
  g_free (s);
}

double
se_dpm_alpha_t (double sigma)
{
  return 1.0 / sqrt (sigma * sigma + 1.0);
}

double
se_dpm_sigma_t (double sigma)
{
  return sigma * se_dpm_alpha_t (sigma);
}

/* log(alpha_t) - log(sigma_t): +inf at sigma 0 */
static double
lambda (double sigma)
{
  return log (se_dpm_alpha_t (sigma)) - log (se_dpm_sigma_t (sigma));
}

void
se_dpm_step (const SeDpmSchedule *s, guint m, SeDpmStep *out)
{
  g_return_if_fail (m < s->total);
  double from = s->sigmas[m], to = s->sigmas[m + 1];
  if (to == 0.0) {              /* h = inf: the step returns the data prediction */
    *out = (SeDpmStep) { 0.0, 1.0, 0.0, 0.0 };
    return;
  }
  double h = lambda (to) - lambda (from);
  out->c_x = se_dpm_sigma_t (to) / se_dpm_sigma_t (from) * exp (-h);
  out->c_d = se_dpm_alpha_t (to) * (1.0 - exp (-2.0 * h));
  out->c_n = se_dpm_sigma_t (to) * sqrt (1.0 - exp (-2.0 * h));
  /* 1 / r0, r0 = h_prev / h */
  out->inv_r0 = m >= 1 ? h / (lambda (from) - lambda (s->sigmas[m - 1])) : 0.0;
}

double
se_dpm_data (const SeDpmSchedule *s, guint m, double x, double e)
{
  double sigma = s->sigmas[m];
  return (x - se_dpm_sigma_t (sigma) * e) / se_dpm_alpha_t (sigma);
}
