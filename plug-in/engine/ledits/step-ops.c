/* step-ops.c: the LEDITS step kernels' host side (step-ops.h). */
#include "step-ops.h"

#include <math.h>
#include <string.h>

#include "ops-private.h"

G_STATIC_ASSERT (sizeof (SeStepConcept) == 48);
G_STATIC_ASSERT (sizeof (SeStepParams) == 56);

gsize
se_step_params_floats (guint concepts)
{
  return (sizeof (SeStepParams) + concepts * sizeof (SeStepConcept)) / sizeof (float);
}

SeStepParams *
se_step_params_new (guint concepts)
{
  return g_malloc0 (se_step_params_floats (concepts) * sizeof (float));
}

void
se_step_params_update (SeStepParams *p, double a, double ap, double var)
{
  p->x0_x = (float) (1.0 / sqrt (a));
  p->x0_e = (float) (sqrt (1.0 - a) / sqrt (a));
  p->mu_x = 0.0f;
  p->mu_x0 = (float) sqrt (ap);
  p->mu_e = (float) sqrt (1.0 - ap - var);
  p->mu_d = 0.0f;
  p->mu_z = (float) sqrt (var);
}

void
se_step_params_dpm (SeStepParams *p, const SeDpmSchedule *dpm, guint m, gboolean second)
{
  SeDpmStep st;
  se_dpm_step (dpm, m, &st);
  double alpha = se_dpm_alpha_t (dpm->sigmas[m]), sigma = se_dpm_sigma_t (dpm->sigmas[m]);
  p->x0_x = (float) (1.0 / alpha);
  p->x0_e = (float) (sigma / alpha);
  p->mu_x = (float) st.c_x;
  p->mu_x0 = (float) st.c_d;
  p->mu_e = 0.0f;
  p->mu_d = second ? (float) (0.5 * st.c_d * st.inv_r0) : 0.0f;
  p->mu_z = (float) st.c_n;
}

/* torch.quantile's position of quantile q among n values, in double as
 * torch takes it: order statistic *lo, lerp weight *w. */
static void
quantile_position (double q, guint n, guint32 *lo, float *w)
{
  double pos = q * (double) (n - 1);
  *lo = (guint32) floor (pos);
  *w = (float) (pos - floor (pos));
}

/* diffusers uses the noise mask only from this timestep down (README quirk 7) */
#define NOISE_MASK_MAX_T 800

void
se_step_params_pp_edit (SeStepParams *p, const SeRecipe *r, guint step, guint t, guint hw, guint aq,
                        const guint *tokens)
{
  for (guint c = 0; c < r->concepts->len; c++) {
    const SeConcept *k = &g_array_index (r->concepts, SeConcept, c);
    SeStepConcept *q = &p->concept[c];
    *q = (SeStepConcept) { .tokens = tokens[c] };
    if (step < k->warmup || (k->cooldown >= 0 && step >= (guint) k->cooldown))
      continue;
    q->flags = SE_MASK_ACTIVE;
    q->scale = (float) (k->reverse ? -k->scale : k->scale);
    if (r->masks != SE_MASKS_NOISE)
      q->flags |= SE_MASK_ATTENTION;
    if (r->masks == SE_MASKS_NOISE || (r->masks == SE_MASKS_INTERSECT && t <= NOISE_MASK_MAX_T))
      q->flags |= SE_MASK_NOISE;
    quantile_position (k->threshold, hw, &q->q_lo, &q->q_w);
    quantile_position (k->threshold, aq, &q->map_q_lo, &q->map_q_w);
  }
}

void
se_step_params_edit (SeStepParams *p, const SeRecipe *r, guint step, guint P)
{
  guint C = r->concepts->len, n_active = 0;
  p->cfg = (float) r->cfg_tar;
  p->mom_scale = (float) r->mom_scale;
  p->mom_beta = (float) r->mom_beta;
  double sum = 0.0;
  for (guint c = 0; c < C; c++) {
    const SeConcept *k = &g_array_index (r->concepts, SeConcept, c);
    SeStepConcept *q = &p->concept[c];
    *q = (SeStepConcept) { 0 };
    gboolean active = step >= k->warmup;
    n_active += active ? 1 : 0;
    if (k->cooldown >= 0 && step >= (guint) k->cooldown)
      continue;                 /* no guidance and no weight (se_sega_step) */
    double w = MAX (k->weight, 0.0);
    q->scale = (float) (k->reverse ? -k->scale : k->scale);
    q->edit_weight = (float) w;
    q->direct = active ? (float) w : 0.0f;      /* normalised below */
    sum += active ? w : 0.0;
    quantile_position (k->threshold, P, &q->q_lo, &q->q_w);
  }
  /* while some concepts warm up, the active ones guide e directly */
  gboolean direct = n_active > 0 && n_active < C && sum > 0.0;
  for (guint c = 0; c < C; c++)
    p->concept[c].direct = direct ? (float) (p->concept[c].direct / sum) : 0.0f;
  p->add_edit = n_active == C ? 1.0f : 0.0f;
}

static gboolean
params_ok (const char *op, const SeTensor *params, GError **error)
{
  if (params->dtype != SE_DTYPE_F32 || params->numel < se_step_params_floats (0))
    return se_ops_invalid (error, op, "the step's parameters need at least %zu fp32 values, not %zu",
                           se_step_params_floats (0), params->numel);
  return TRUE;
}

/* An fp32 tensor of at least `need` values. */
static gboolean
f32_holds (const char *op, const char *what, const SeTensor *t, gsize need, GError **error)
{
  if (t->dtype != SE_DTYPE_F32 || t->numel < need)
    return se_ops_invalid (error, op, "%s must be fp32 with at least %zu values (it has %zu)", what, need, t->numel);
  return TRUE;
}

gboolean
se_op_fill_sample (SeGpu *gpu, const SeTensor *src, gsize stride, gsize n, guint c0, guint count, guint per,
                   const SeTensor *params, SeTensor *sample, GError **error)
{
  const char *op = "fill_sample";
  gboolean act16;
  if (!params_ok (op, params, error) || !f32_holds (op, "the latents", src, (c0 + count) * stride, error) ||
      !se_ops_activations (op, error, &act16, sample, NULL, NULL, NULL))
    return FALSE;
  if (sample->numel != (gsize) count * per * n)
    return se_ops_invalid (error, op, "the sample holds %zu values, not %u x %u x %zu", sample->numel, count, per, n);
  struct {
    guint32 n, stride, per, c0, count;
  } push = { (guint32) n, (guint32) stride, per, c0, count };
  SeBinding bind[] = { BIND_R (src), BIND_R (params), BIND_W (sample) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_FILL_SAMPLE, act16), bind, 3, &push, sizeof push,
                             sample->numel, ELEMENTWISE_WG, error);
}

/* eps holds count * per predictions of n values in the activations' type. */
static gboolean
eps_ok (const char *op, const SeTensor *eps, guint count, guint per, gsize n, gboolean *act16, GError **error)
{
  if (!se_ops_activations (op, error, act16, eps, NULL, NULL, NULL))
    return FALSE;
  if (eps->numel != (gsize) count * per * n)
    return se_ops_invalid (error, op, "the predictions hold %zu values, not %u x %u x %zu", eps->numel, count, per, n);
  return TRUE;
}

gboolean
se_op_sega_quantiles (SeGpu *gpu, const SeTensor *eps, guint count, guint per, guint C, guint L, gsize P,
                      const SeTensor *params, SeTensor *thr, GError **error)
{
  const char *op = "sega_quantiles";
  gboolean act16;
  if (C == 0)
    return TRUE;
  if (per != 2 + C)
    return se_ops_invalid (error, op, "%u concepts in batches of %u per candidate", C, per);
  if (!eps_ok (op, eps, count, per, L * P, &act16, error) ||
      !f32_holds (op, "the step's parameters", params, se_step_params_floats (C), error) ||
      !f32_holds (op, "the thresholds", thr, (gsize) count * C * L, error))
    return FALSE;
  struct {
    guint32 P, L, per, C;
  } push = { (guint32) P, L, per, C };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_W (thr) };
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_SEGA_QUANTILE, act16), NULL, 0, bind, 3, &push, sizeof push,
                          L, C, count, error);
}

gboolean
se_op_edit_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, guint C, gsize P,
                 const SeTensor *params, const SeTensor *thr, SeEditState *st, GError **error)
{
  const char *op = "edit_step";
  gsize n = st->n;
  gboolean act16;
  if (per != 2 + C || c0 + count > st->K || n % P)
    return se_ops_invalid (error, op, "candidates %u..%u of %u, %u concepts in batches of %u", c0, c0 + count,
                           st->K, C, per);
  if (!eps_ok (op, eps, count, per, n, &act16, error) ||
      !f32_holds (op, "the step's parameters", params, se_step_params_floats (C), error) ||
      !f32_holds (op, "the thresholds", thr, MAX ((gsize) count * C * (n / P), 1), error) ||
      !f32_holds (op, "the latents", st->latents, st->K * n, error) ||
      !f32_holds (op, "the momentum", st->momentum, st->K * n, error) ||
      !f32_holds (op, "the noise maps", st->zs, st->K * st->z_stride, error) ||
      !f32_holds (op, "the report", st->report, SE_STEP_STATUS + 2 * st->K * n, error))
    return FALSE;
  struct {
    guint32 n, P, per, C, c0, count, K, z_stride;
  } push = { (guint32) n, (guint32) P, per, C, c0, count, st->K, (guint32) st->z_stride };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_R (thr), BIND_W (st->latents), BIND_W (st->momentum),
                       BIND_R (st->zs), BIND_W (st->report) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_EDIT_STEP, act16), bind, 7, &push, sizeof push,
                             (gsize) count * n, ELEMENTWISE_WG, error);
}

gboolean
se_op_invert_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, const SeTensor *params,
                   SeInvertState *st, GError **error)
{
  const char *op = "invert_step";
  gsize n = st->n;
  gboolean act16;
  if ((per != 1 && per != 2) || c0 + count > st->K)
    return se_ops_invalid (error, op, "candidates %u..%u of %u in batches of %u", c0, c0 + count, st->K, per);
  if (!eps_ok (op, eps, count, per, n, &act16, error) || !params_ok (op, params, error) ||
      !f32_holds (op, "the noised latents", st->xts, st->K * (st->steps + 1) * n, error) ||
      !f32_holds (op, "the noise maps", st->zs, st->K * st->steps * n, error) ||
      !f32_holds (op, "the reconstructions", st->reconstruction, st->K * n, error) ||
      !f32_holds (op, "the data predictions", st->dprev, st->K * n, error) ||
      !f32_holds (op, "the report", st->report, SE_STEP_STATUS, error))
    return FALSE;
  struct {
    guint32 n, per, c0, count, steps;
  } push = { (guint32) n, per, c0, count, st->steps };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_W (st->xts), BIND_W (st->zs),
                       BIND_W (st->reconstruction), BIND_W (st->dprev), BIND_W (st->report) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_INVERT_STEP, act16), bind, 7, &push, sizeof push,
                             (gsize) count * n, ELEMENTWISE_WG, error);
}

/* The LEDITS++ state's tensors hold what the kernels index. */
static gboolean
pp_state_ok (const char *op, const SePpEditState *st, GError **error)
{
  gsize n = st->n, hw = (gsize) st->lh * st->lw, aq = hw / 16, K = st->K, C = st->C;
  if (st->lh % 4 || st->lw % 4 || n % hw)
    return se_ops_invalid (error, op, "a latent of %zu values at %u x %u", n, st->lh, st->lw);
  return f32_holds (op, "the latents", st->latents, K * n, error) &&
         f32_holds (op, "the data predictions", st->dprev, K * n, error) &&
         f32_holds (op, "the noise maps", st->zs, K * st->z_stride, error) &&
         f32_holds (op, "the attention sums", st->sums, MAX (K * C * aq, 1), error) &&
         f32_holds (op, "the masks' detail", st->detail, MAX (K * C * (aq + hw + 2), 1), error) &&
         f32_holds (op, "the report", st->report, SE_STEP_STATUS + 3 * K * n + K * C * hw, error);
}

/* The batch of candidates [c0, c0 + count) with `per` predictions each:
 * the unconditional one and one per concept. */
static gboolean
pp_batch_ok (const char *op, const SePpEditState *st, guint c0, guint count, guint per, const SeTensor *params,
             GError **error)
{
  if (per != 1 + st->C || c0 + count > st->K)
    return se_ops_invalid (error, op, "candidates %u..%u of %u, %u concepts in batches of %u", c0, c0 + count,
                           st->K, st->C, per);
  return f32_holds (op, "the step's parameters", params, se_step_params_floats (st->C), error) &&
         pp_state_ok (op, st, error);
}

gboolean
se_op_pp_attention_sum (SeGpu *gpu, const SeTensor *probs, guint c0, guint count, guint per, gboolean first,
                        guint layers, const SeTensor *params, SePpEditState *st, GError **error)
{
  const char *op = "pp_attention_sum";
  guint aq = st->lh / 4 * (st->lw / 4);
  if (!pp_batch_ok (op, st, c0, count, per, params, error))
    return FALSE;
  if (probs->dtype != SE_DTYPE_F32 || probs->ndim != 3 || probs->shape[0] != (gint64) count * per ||
      probs->shape[1] != aq || layers == 0) {
    g_autofree char *shape = se_tensor_shape_string (probs);
    return se_ops_invalid (error, op, "maps %s, want fp32 [%u, %u, tokens]", shape, count * per, aq);
  }
  struct {
    guint32 aq, tokens, per, C, c0, count, first;
    float inv_layers;
  } push = { aq, (guint32) probs->shape[2], per, st->C, c0, count, first, 1.0f / (float) layers };
  SeBinding bind[] = { BIND_R (probs), BIND_R (params), BIND_W (st->sums) };
  return se_ops_dispatch_1d (gpu, SE_SHADER_PP_ATTENTION_SUM, bind, 3, &push, sizeof push,
                             (gsize) count * st->C * aq, ELEMENTWISE_WG, error);
}

gboolean
se_op_pp_masks (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, const SeTensor *params,
                SePpEditState *st, GError **error)
{
  const char *op = "pp_masks";
  gboolean act16;
  if (st->C == 0)
    return TRUE;
  if (!pp_batch_ok (op, st, c0, count, per, params, error) || !eps_ok (op, eps, count, per, st->n, &act16, error))
    return FALSE;
  struct {
    guint32 lh, lw, channels, per, C, c0, mask_at;
  } push = { st->lh, st->lw, (guint32) (st->n / ((gsize) st->lh * st->lw)), per, st->C, c0,
             (guint32) (SE_STEP_STATUS + 3 * st->K * st->n) };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_R (st->sums), BIND_W (st->detail), BIND_W (st->report) };
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_PP_MASKS, act16), NULL, 0, bind, 5, &push, sizeof push, st->C,
                          count, 1, error);
}

gboolean
se_op_pp_edit_step (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, guint per, const SeTensor *params,
                    SePpEditState *st, GError **error)
{
  const char *op = "pp_edit_step";
  gboolean act16;
  if (!pp_batch_ok (op, st, c0, count, per, params, error) || !eps_ok (op, eps, count, per, st->n, &act16, error))
    return FALSE;
  struct {
    guint32 n, hw, per, C, c0, count, K, z_stride;
  } push = { (guint32) st->n, st->lh * st->lw, per, st->C, c0, count, st->K, (guint32) st->z_stride };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_W (st->latents), BIND_W (st->dprev), BIND_R (st->zs),
                       BIND_W (st->report) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_PP_EDIT_STEP, act16), bind, 6, &push, sizeof push,
                             (gsize) count * st->n, ELEMENTWISE_WG, error);
}
