/* schedule.h: SD 1.x's DDIM/DDPM schedule for any step count.
 *
 * betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2 (float32, as
 * diffusers' scaled_linear), alphas_cumprod their running product; N steps
 * use timesteps 1 + j * (1000 / N) ("leading" spacing, offset 1),
 * descending; the previous timestep is t - 1000 / N, with alphas_cumprod[0]
 * standing in below zero (set_alpha_to_one = false). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SE_TRAIN_STEPS 1000

typedef struct {
  guint steps;
  double alphas_cumprod[SE_TRAIN_STEPS];
  guint *timesteps;             /* [steps], descending */
} SeSchedule;

/* The 1000 alphas_cumprod alone (float32 values), for any sampler. */
void        se_schedule_alphas_cumprod (double out[SE_TRAIN_STEPS]);
SeSchedule *se_schedule_new (guint steps);
void        se_schedule_free (SeSchedule *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeSchedule, se_schedule_free)

/* alphas_cumprod of t's previous timestep */
double se_schedule_prev_alpha (const SeSchedule *s, guint t);
/* the DDPM posterior variance (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev) */
double se_schedule_variance (const SeSchedule *s, guint t);

G_END_DECLS
