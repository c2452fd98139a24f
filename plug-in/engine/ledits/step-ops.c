/* step-ops.c: the LEDITS step kernels' host side (step-ops.h). */
#include "step-ops.h"

#include <math.h>
#include <string.h>

#include "ops-private.h"

G_STATIC_ASSERT (sizeof (SeStepConcept) == 32);
G_STATIC_ASSERT (sizeof (SeStepParams) == 48);

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
  p->mu_x0 = (float) sqrt (ap);
  p->mu_e = (float) sqrt (1.0 - ap - var);
  p->mu_z = (float) sqrt (var);
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
    /* torch.quantile's position, in double as se_quantile takes it */
    double pos = k->threshold * (double) (P - 1);
    q->q_lo = (guint32) floor (pos);
    q->q_w = (float) (pos - floor (pos));
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
      !f32_holds (op, "the report", st->report, 4 + 2 * st->K * n, error))
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
      !f32_holds (op, "the report", st->report, 4, error))
    return FALSE;
  struct {
    guint32 n, per, c0, count, steps;
  } push = { (guint32) n, per, c0, count, st->steps };
  SeBinding bind[] = { BIND_R (eps), BIND_R (params), BIND_W (st->xts), BIND_W (st->zs),
                       BIND_W (st->reconstruction), BIND_W (st->report) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_INVERT_STEP, act16), bind, 6, &push, sizeof push,
                             (gsize) count * n, ELEMENTWISE_WG, error);
}
