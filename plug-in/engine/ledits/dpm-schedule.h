/* dpm-schedule.h: LEDITS++'s sampler tables: the second-order SDE
 * DPM-Solver++ (diffusers' DPMSolverMultistepScheduler with
 * algorithm_type "sde-dpmsolver++", solver_order 2, "leading" spacing,
 * final sigma zero) as ../shared/reference/ledits_pp/README.md states it,
 * sections 0 and 1.
 *
 * An inversion of n steps with skip s runs the scheduler at
 * N = trunc(n * (1 + s)) steps and uses its last n: scheduler indices
 * first .. N-1, where first = N - n. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint total;                  /* N */
  guint steps;                  /* n */
  guint first;                  /* N - n */
  guint *timesteps;             /* [N], descending: (N - j) * (1000 / (N + 1)) + 1 */
  double *sigmas;               /* [N + 1]: float32 sqrt((1 - a) / a) at each timestep, then 0 */
} SeDpmSchedule;

/* The last `steps` of a `total`-step schedule: 1 <= steps <= total <= 999
 * (else NULL). */
SeDpmSchedule *se_dpm_schedule_new (guint total, guint steps);
/* diffusers' N for n steps with skip fraction 0 <= skip < 1; 0 when out of
 * range (N over 999). */
guint          se_dpm_total_for_skip (guint steps, double skip);
void           se_dpm_schedule_free (SeDpmSchedule *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeDpmSchedule, se_dpm_schedule_free)

/* One step's coefficients, from scheduler index m (a sample at sigmas[m])
 * to m + 1:
 *   first order:  x' = c_x x + c_d D + c_n z
 *   second order: x' = c_x x + c_d D + 0.5 c_d inv_r0 (D - D_prev) + c_n z
 * where D is the data prediction (se_dpm_data); inv_r0 is 0 where it is
 * not defined (m = 0).  The last index (sigma 0 next) gives c_x 0, c_d 1,
 * c_n 0 and inv_r0 0: its step is the data prediction. */
typedef struct {
  double c_x, c_d, c_n, inv_r0;
} SeDpmStep;

void   se_dpm_step (const SeDpmSchedule *s, guint m, SeDpmStep *out);
/* The data prediction of sample x with noise prediction e at index m. */
double se_dpm_data (const SeDpmSchedule *s, guint m, double x, double e);
/* alpha_t = 1 / sqrt(sigma^2 + 1) and sigma_t = sigma alpha_t of a sigma
 * (add_noise: x = alpha_t x0 + sigma_t noise). */
double se_dpm_alpha_t (double sigma);
double se_dpm_sigma_t (double sigma);

G_END_DECLS
