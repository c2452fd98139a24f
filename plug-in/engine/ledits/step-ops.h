/* step-ops.h: the LEDITS and LEDITS++ steps' arithmetic as device kernels
 * (shaders/ledits/): a UNet batch's sample from the candidates' latents,
 * SEGA's quantile thresholds, the edit step (guidance, momentum, DDPM
 * update), the inversion step (DDPM or the DPM-Solver), and LEDITS++'
 * attention sums, masks and edit step.  Recorded like any operator, so they
 * join a step's one submission; the double-precision host loops they
 * replaced are their tests' reference. */
#pragma once

#include "dpm-schedule.h"
#include "ops.h"
#include "recipe.h"

G_BEGIN_DECLS

/* One step's coefficients, as the kernels read them (the same layout as
 * step_params.glsl: the fields, then one SeStepConcept per concept),
 * uploaded before the step into an fp32 tensor of
 * se_step_params_floats (concepts) values. */
typedef struct {
  float scale, direct, edit_weight, q_w;
  guint32 q_lo, map_q_lo;
  float map_q_w;
  guint32 tokens, flags, pad[3];
} SeStepConcept;

typedef struct {
  float x0_x, x0_e, mu_x, mu_x0, mu_e, mu_d, mu_z;
  float cfg, mom_scale, mom_beta, add_edit;
  guint32 src_offset, z_offset, last;
  SeStepConcept concept[];
} SeStepParams;

/* SeStepParams.last and SeStepConcept.flags (step_params.glsl) */
enum { SE_LAST_NOT, SE_LAST_MEAN, SE_LAST_DATA };
enum { SE_MASK_ATTENTION = 1, SE_MASK_NOISE = 2, SE_MASK_ACTIVE = 4 };

gsize         se_step_params_floats (guint concepts);
/* Zeroed parameters for `concepts` concepts (g_free). */
SeStepParams *se_step_params_new (guint concepts);

/* Every step kernel's report starts with these status words (a
 * prediction that was not finite, step_eps.glsl); the edits' reports then
 * hold the estimates [K][n] and the latents [K][n]. */
#define SE_STEP_STATUS 4

/* The DDPM update's coefficients for cumulative alphas a (this timestep),
 * ap (the previous) and the posterior variance var. */
void se_step_params_update (SeStepParams *p, double a, double ap, double var);
/* The DPM-Solver's from scheduler index m, second order or first. */
void se_step_params_dpm (SeStepParams *p, const SeDpmSchedule *dpm, guint m, gboolean second);
/* An edit step's guidance (se_sega_step's rules for warm-up, cool-down,
 * weights and momentum) for step `step` of the edit, with P positions per
 * latent channel, into p made for the recipe's concepts; the update's
 * coefficients are set apart. */
void se_step_params_edit (SeStepParams *p, const SeRecipe *r, guint step, guint P);

/* LEDITS++' masks for edit step `step` at timestep t (warm-up, cool-down,
 * reversal, which masks, the quantiles' positions over hw latent and aq
 * attention positions, tokens[c] each concept's map sums). */
void se_step_params_pp_edit (SeStepParams *p, const SeRecipe *r, guint step, guint t, guint hw, guint aq,
                             const guint *tokens);

/* sample [count * per, ...] (activations) = per copies of each candidate
 * k in [c0, c0 + count): src[k * stride + params.src_offset ..][n]. */
gboolean se_op_fill_sample (SeGpu *gpu, const SeTensor *src, gsize stride, gsize n, guint c0, guint count,
                            guint per, const SeTensor *params, SeTensor *sample, GError **error);
/* thr [count][C][L] from eps [count * per][L * P] (uncond, target, C
 * concepts per candidate); C may be 0 (nothing to do). */
gboolean se_op_sega_quantiles (SeGpu *gpu, const SeTensor *eps, guint count, guint per, guint C, guint L, gsize P,
                               const SeTensor *params, SeTensor *thr, GError **error);

/* The device side of an edit: K candidates' latents and momentum [K][n],
 * their noise maps [K][z_stride], and the report (edit_step.comp's layout:
 * 4 status words, the estimates and the latents after the step). */
typedef struct {
  SeTensor *latents, *momentum, *zs, *report;
  guint K;
  gsize n, z_stride;
} SeEditState;

gboolean se_op_edit_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, guint C, gsize P,
                          const SeTensor *params, const SeTensor *thr, SeEditState *st, GError **error);

/* The device side of an inversion: xts [K][steps + 1][n], zs
 * [K][steps][n], the reconstructions [K][n], the previous step's data
 * predictions [K][n] (the solver's second order) and a 4-word report. */
typedef struct {
  SeTensor *xts, *zs, *reconstruction, *dprev, *report;
  guint K, steps;
  gsize n;
} SeInvertState;

gboolean se_op_invert_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per,
                            const SeTensor *params, SeInvertState *st, GError **error);

/* The device side of a LEDITS++ edit: K candidates' latents and data
 * predictions [K][n], their noise maps [K][z_stride], the attention sums
 * [K][C][aq], the masks' detail [K][C][aq + hw + 2] (pp_masks.comp) and the
 * report (pp_edit_step.comp's layout: 4 status words, the data
 * predictions, latents and guidance [K][n] each, the masks [K][C][hw]). */
typedef struct {
  SeTensor *latents, *dprev, *zs, *sums, *detail, *report;
  guint K, C, lh, lw;
  gsize n, z_stride;
} SePpEditState;

/* One captured layer's maps [count * per][aq][tokens] into the sums of
 * candidates [c0, c0 + count): written by the first layer, added after. */
gboolean se_op_pp_attention_sum (SeGpu *gpu, const SeTensor *probs, guint c0, guint count, guint per, gboolean first,
                                 guint layers, const SeTensor *params, SePpEditState *st, GError **error);
gboolean se_op_pp_masks (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, const SeTensor *params,
                         SePpEditState *st, GError **error);
gboolean se_op_pp_edit_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per,
                             const SeTensor *params, SePpEditState *st, GError **error);

G_END_DECLS
