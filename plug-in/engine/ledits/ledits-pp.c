/* ledits-pp.c: LEDITS++ (Brack et al., CVPR 2024) as diffusers'
 * LEditsPPPipelineStableDiffusion computes it, following
 * ../shared/reference/ledits_pp/README.md sections 2 and 3: an inversion
 * with the second-order SDE DPM-Solver++ and edit-friendly noise maps, then
 * an edit whose concepts are each confined by an implicit mask (their
 * cross-attention maps, their noise estimate's quantile, or both).  The
 * steps run on the device (device-loop.h, step-ops.h). */
#include "session-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "fault.h"
#include "ledits/device-loop.h"

typedef struct {
  const SeDpmSchedule *dpm;
  float cfg;
} DpmInversion;

/* the solver's step j: second order after the first; the last goes to
 * sigma 0, so its noise map is zero and an unchanged edit ends on its data
 * prediction */
static void
dpm_inversion_step (gpointer data, guint j, guint steps, SeStepParams *p, guint *t)
{
  const DpmInversion *inv = data;
  guint m = inv->dpm->first + j;
  *t = inv->dpm->timesteps[m];
  p->cfg = inv->cfg;
  p->last = j == steps - 1 ? SE_LAST_DATA : SE_LAST_NOT;
  se_step_params_dpm (p, inv->dpm, m, j > 0);
}

gboolean
se_ledits_pp_invert (SeSession *s, const SeRecipe *r, guint64 seed, guint K, const float *noises,
                     SeProgressFunc progress, gpointer data, GCancellable *cancel, GError **error)
{
  guint n_steps = se_recipe_inverted_steps (r);
  g_autoptr (SeDpmSchedule) dpm = se_dpm_schedule_new (r->steps, n_steps);
  if (dpm == NULL) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("LEDITS++ cannot run %u of %u steps"), n_steps, r->steps);
    return FALSE;
  }
  /* X[k + 1] = alpha_t x0 + sigma_t d_k, k over ascending timesteps */
  g_autofree double *ca = g_new (double, n_steps), *cb = g_new (double, n_steps);
  for (guint k = 0; k < n_steps; k++) {
    double sigma = dpm->sigmas[dpm->first + n_steps - 1 - k];
    ca[k] = se_dpm_alpha_t (sigma);
    cb[k] = se_dpm_sigma_t (sigma);
  }
  SeInversionArrays arrays;
  if (!se_session_noised (s, K, n_steps, seed, noises, ca, cb, &arrays, error))
    return FALSE;
  g_autofree double *xts = arrays.xts, *zs = arrays.zs, *rec = arrays.reconstruction;
  /* diffusers' invert() takes encode_prompt's (prompt, negative) pair as
   * (unconditional, conditional): its "guidance" leads away from the source
   * prompt, e = e_src + scale (e_empty - e_src) (README quirk 1, kept so
   * results match the reference) */
  const float *empty = se_session_embedding (s, "", error);
  const float *src = empty && *r->src ? se_session_embedding (s, r->src, error) : NULL;
  if (empty == NULL || (*r->src && src == NULL))
    return FALSE;
  guint per = src ? 2 : 1;
  const float *contexts[] = { src ? src : empty, empty };
  DpmInversion inv = { dpm, (float) r->cfg_src };
  if (!se_step_invert (s, K, n_steps, per, contexts, xts, zs, rec, dpm_inversion_step, &inv, progress, data, cancel,
                       error))
    return FALSE;
  se_session_set_inversion (s, r, K, n_steps, NULL, g_steal_pointer (&dpm), g_steal_pointer (&xts),
                            g_steal_pointer (&zs), g_steal_pointer (&rec));
  return TRUE;
}

/* The tokens concept c's attention map sums: the prompt's own (at most 75)
 * or, like diffusers with a fast tokenizer, 75 (README quirk 4). */
static guint *
count_tokens (SeSession *s, const SeRecipe *r)
{
  SeModel *m = s->model;
  guint P = m->files->clip.positions, C = r->concepts->len;
  guint *ntok = g_new0 (guint, MAX (C, 1u));
  g_autofree gint32 *ids = g_new (gint32, P);
  for (guint c = 0; c < C; c++) {
    const char *prompt = g_array_index (r->concepts, SeConcept, c).prompt;
    guint count = se_tokenizer_encode (m->tokenizer, prompt, ids, P);
    ntok[c] = r->mask_padded_tokens ? P - 2 : MIN (count, P - 2);
  }
  return ntok;
}

typedef struct {
  SePpEditState st;
  const SeTensor *params;
  guint per;
} PpEditRun;

static gboolean
pp_kernels (SeGpu *gpu, const SeTensor *eps, const GPtrArray *maps, guint c0, guint count, gpointer data,
            GError **error)
{
  PpEditRun *run = data;
  if (maps && maps->len == 0) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 _("UNet: no cross-attention layer has at most %u queries"), run->st.lh / 4 * (run->st.lw / 4));
    return FALSE;
  }
  for (guint l = 0; maps && l < maps->len; l++)
    if (!se_op_pp_attention_sum (gpu, maps->pdata[l], c0, count, run->per, l == 0, maps->len, run->params, &run->st,
                                 error))
      return FALSE;
  return se_op_pp_masks (gpu, eps, c0, count, run->per, run->params, &run->st, error) &&
         se_op_pp_edit_step (gpu, eps, c0, count, run->per, run->params, &run->st, error);
}

/* One step as the test observer sees it (SePpStep), for candidate k, from
 * the report (masks, guidance, latents) and the masks' detail and sums,
 * fetched for it. */
static void
observe_step (SeSession *s, const SeStepParams *p, guint step, guint t, guint k, const float *rep,
              const float *sums, const float *detail)
{
  guint C = s->mask_concepts, K = s->candidates, hw = s->lh * s->lw, aw = s->lw / 4, aq = hw / 16;
  gsize n = s->n;
  g_autofree double *attn_sum = g_new0 (double, MAX (C, 1u) * aq), *attn_smooth = g_new0 (double, MAX (C, 1u) * aq);
  g_autofree double *attn_thr = g_new0 (double, MAX (C, 1u)), *noise_thr = g_new0 (double, MAX (C, 1u));
  g_autofree double *am = g_new0 (double, MAX (C, 1u) * hw), *nm = g_new0 (double, MAX (C, 1u) * hw);
  g_autofree double *fm = g_new0 (double, MAX (C, 1u) * hw);
  g_autofree gboolean *active = g_new0 (gboolean, MAX (C, 1u)), *noise_applied = g_new0 (gboolean, MAX (C, 1u));
  g_autofree double *guidance = g_new (double, n), *latent = g_new (double, n);
  for (guint c = 0; c < C; c++) {
    guint flags = p->concept[c].flags;
    const float *S = sums + ((gsize) k * C + c) * aq, *d = detail + ((gsize) k * C + c) * (aq + hw + 2);
    const float *m = rep + SE_STEP_STATUS + 3 * K * n + ((gsize) k * C + c) * hw;
    active[c] = (flags & SE_MASK_ACTIVE) != 0;
    noise_applied[c] = active[c] && (flags & SE_MASK_NOISE);
    if (!active[c])
      continue;
    gboolean attn = flags & SE_MASK_ATTENTION;
    float ta = d[aq + hw], tn = d[aq + hw + 1];
    attn_thr[c] = attn ? ta : 0.0;
    noise_thr[c] = noise_applied[c] ? tn : 0.0;
    for (guint q = 0; attn && q < aq; q++) {
      attn_sum[(gsize) c * aq + q] = S[q];
      attn_smooth[(gsize) c * aq + q] = d[q];
    }
    for (guint q = 0; q < hw; q++) {
      gsize at = (gsize) c * hw + q;
      am[at] = !attn || d[(q / s->lw / 4) * aw + q % s->lw / 4] >= ta ? 1.0 : 0.0;
      nm[at] = !noise_applied[c] || d[aq + q] >= tn ? 1.0 : 0.0;
      fm[at] = m[q];
    }
  }
  for (gsize i = 0; i < n; i++) {
    guidance[i] = rep[SE_STEP_STATUS + 2 * K * n + k * n + i];
    latent[i] = rep[SE_STEP_STATUS + K * n + k * n + i];
  }
  SePpStep rec = { step, t, C, attn_sum, attn_smooth, attn_thr, noise_thr, am, nm, fm, active, noise_applied,
                   guidance, latent };
  s->observer (&rec, k, s->observer_data);
}

/* The edit's steps on the device; after each, the host takes the
 * candidates' data predictions (the preview), latents (the trace) and
 * masks (the session's, and their coverage). */
static gboolean
pp_edit_steps (SeSession *s, const SeRecipe *r, const float *const *prompts, double *x, double *trace,
               double *estimate, double *coverage, guint *active_steps, SeProgressFunc progress, gpointer data,
               guint total, GCancellable *cancel, GError **error)
{
  SeGpu *gpu = s->model->gpu;
  const SeDpmSchedule *dpm = s->dpm;
  guint C = r->concepts->len, per = 1 + C, T = s->inv_steps, K = s->candidates;
  guint hw = s->lh * s->lw, aq = hw / 16;
  gsize n = s->n, per_masks = (gsize) MAX (C, 1u) * hw, rep_n = SE_STEP_STATUS + 3 * (gsize) K * n + (gsize) K * C * hw;
  gboolean attention = C > 0 && r->masks != SE_MASKS_NOISE;
  g_autofree guint *tokens = count_tokens (s, r);
  g_autofree float *rep = se_host_alloc (rep_n, sizeof (float), _("the edit's estimates"), error);
  if (rep == NULL)
    return FALSE;
  g_autoptr (SeTensor) lat = se_step_tensor_from_doubles (gpu, x, K * n, _("the edited latents"), error);
  g_autoptr (SeTensor) dprev = lat ? se_step_tensor_from_doubles (gpu, NULL, K * n, _("the edit's estimates"), error)
                                   : NULL;
  g_autoptr (SeTensor) zs = dprev ? se_step_tensor_from_doubles (gpu, s->zs, (gsize) K * T * n,
                                                                 _("the inversion's noise maps"), error) : NULL;
  g_autoptr (SeTensor) sums = zs ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                             (gint64) MAX ((gsize) K * C * aq, 1)) : NULL;
  g_autoptr (SeTensor) detail = sums ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                                 (gint64) MAX ((gsize) K * C * (aq + hw + 2), 1))
                                     : NULL;
  g_autoptr (SeTensor) report = detail ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) rep_n) : NULL;
  g_autoptr (SeTensor) params = report ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                                   (gint64) se_step_params_floats (C)) : NULL;
  if (params == NULL)
    return FALSE;
  PpEditRun run = { { lat, dprev, zs, sums, detail, report, K, C, s->lh, s->lw, n, (gsize) T * n }, params, per };
  SeStepLoop loop;
  se_step_loop_init (&loop, s, K, per, attention ? se_session_capture_queries (s) : 0, prompts, lat, n, params,
                     pp_kernels, &run);
  g_autofree SeStepParams *p = se_step_params_new (C);
  /* the masks' detail, fetched each step for the test observer only */
  g_autofree float *sums_f = s->observer ? g_new (float, sums->numel) : NULL;
  g_autofree float *detail_f = s->observer ? g_new (float, detail->numel) : NULL;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < T; i++) {
    guint m = dpm->first + i, t = dpm->timesteps[m], idx = T - 1 - i;
    /* first order at the first step and at the last (lower_order_final) */
    se_step_params_dpm (p, dpm, m, i > 0 && i < T - 1);
    se_step_params_pp_edit (p, r, i, t, hw, aq, tokens);
    p->z_offset = (guint32) (idx * n);
    ok = se_step_upload (params, p, C, report, error) &&
         se_step_loop_run (&loop, t, _("edit"), i + 1, T, report, rep, cancel, error);
    if (ok && s->observer)
      ok = se_tensor_download (sums, sums_f, error) && se_tensor_download (detail, detail_f, error);
    if (ok)
      se_step_take_latents (rep, K, n, T, i, estimate, x, trace);
    for (guint k = 0; ok && k < K; k++) {
      for (gsize q = 0; q < (gsize) C * hw; q++) {
        double v = rep[SE_STEP_STATUS + 3 * K * n + k * C * hw + q];
        s->masks[k * per_masks + q] = v;
        coverage[k * per_masks + q] += v;
      }
      if (s->observer)
        observe_step (s, p, i, t, k, rep, sums_f, detail_f);
    }
    for (guint c = 0; ok && c < C; c++)
      active_steps[c] += p->concept[c].flags & SE_MASK_ACTIVE ? 1 : 0;
    if (ok && progress)
      progress ("edit", i + 1, total, data);
  }
  se_step_loop_clear (&loop);
  return ok;
}

gboolean
se_ledits_pp_edit (SeSession *s, const SeRecipe *r, SeImage *out, SeProgressFunc progress, gpointer data,
                   GCancellable *cancel, GError **error)
{
  guint C = r->concepts->len, per = 1 + C, T = s->inv_steps;
  guint cands = s->candidates;
  gsize n = s->n;
  guint hw = s->lh * s->lw;
  g_autofree const float **prompts = g_new (const float *, per);
  if (!(prompts[0] = se_session_embedding (s, "", error)))
    return FALSE;
  for (guint c = 0; c < C; c++)
    if (!(prompts[1 + c] = se_session_embedding (s, g_array_index (r->concepts, SeConcept, c).prompt, error)))
      return FALSE;

  gsize per_masks = (gsize) MAX (C, 1u) * hw;
  g_autofree double *x = se_host_alloc ((gsize) cands * n, sizeof (double), _("the edited latents"), error);
  g_autofree double *trace = x ? se_host_alloc ((gsize) cands * T * n, sizeof (double), _("the edit's trace"), error)
                               : NULL;
  g_autofree double *estimate = trace ? se_host_alloc ((gsize) cands * n, sizeof (double), _("the edit's estimates"),
                                                       error) : NULL;
  g_autofree double *masks = estimate ? se_host_alloc0 ((gsize) cands * per_masks, sizeof (double),
                                                        _("the concept masks"), error) : NULL;
  g_autofree double *coverage = masks ? se_host_alloc0 ((gsize) cands * per_masks, sizeof (double),
                                                        _("the concept masks"), error) : NULL;
  if (coverage == NULL)
    return FALSE;
  g_autofree guint *active_steps = g_new0 (guint, MAX (C, 1u));
  for (guint c = 0; c < cands; c++)
    memcpy (x + c * n, s->xts + (gsize) c * (T + 1) * n + (gsize) T * n, n * sizeof (double));
  guint total = T + (out ? 1 : 0);
  gboolean ok = TRUE;
  /* the step's masks are the session's during the edit (se_session_concept_mask);
   * a failed or cancelled edit brings the last edit's back */
  g_autofree double *old_masks = s->masks, *old_coverage = s->coverage;
  guint old_concepts = s->mask_concepts;
  s->masks = g_steal_pointer (&masks);
  s->coverage = NULL;
  s->mask_concepts = C;
  if (se_session_edit_retraces (r)) {
    s->estimate = x;            /* the retraced latent is the preview's best guess */
    for (guint i = 0; i < T; i++) {
      se_session_retrace_step (s, i, T, (gsize) (T + 1) * n, x, trace);
      if (progress)
        progress ("edit", i + 1, total, data);
    }
    s->estimate = NULL;
  } else {
    s->estimate = estimate;
    ok = pp_edit_steps (s, r, prompts, x, trace, estimate, coverage, active_steps, progress, data, total, cancel,
                        error);
    s->estimate = NULL;
  }
  /* coverage: the share of a concept's active steps each position was masked in */
  for (guint k = 0; ok && k < cands; k++)
    for (guint c = 0; c < C; c++)
      for (guint q = 0; q < hw; q++)
        coverage[k * per_masks + (gsize) c * hw + q] /= MAX (active_steps[c], 1u);
  s->coverage = g_steal_pointer (&coverage);
  ok = ok && se_session_finish_edit (s, g_steal_pointer (&x), g_steal_pointer (&trace), T, out, progress, data,
                                     total, cancel, error);
  if (!ok) {
    g_free (s->masks);
    g_free (s->coverage);
    s->masks = g_steal_pointer (&old_masks);
    s->coverage = g_steal_pointer (&old_coverage);
    s->mask_concepts = old_concepts;
  }
  return ok;
}
