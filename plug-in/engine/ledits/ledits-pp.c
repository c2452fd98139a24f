/* ledits-pp.c: LEDITS++ (Brack et al., CVPR 2024) as diffusers'
 * LEditsPPPipelineStableDiffusion computes it, following
 * ../shared/reference/ledits_pp/README.md sections 2 and 3: an inversion
 * with the second-order SDE DPM-Solver++ and edit-friendly noise maps, then
 * an edit whose concepts are each confined by an implicit mask (their
 * cross-attention maps, their noise estimate's quantile, or both). */
#include "session-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "fault.h"
#include "ledits/pp-masks.h"

/* diffusers uses the noise mask only from this timestep down (README quirk 7) */
#define NOISE_MASK_MAX_T 800

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
  gsize n = s->n, per_xts = (n_steps + 1) * n, per_zs = n_steps * n;
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
  g_autofree double *dprev = se_host_alloc ((gsize) K * n, sizeof (double), _("the inversion's predictions"), error);
  if (dprev == NULL)
    return FALSE;
  /* diffusers' invert() takes encode_prompt's (prompt, negative) pair as
   * (unconditional, conditional): its "guidance" leads away from the source
   * prompt, e = e_src + scale (e_empty - e_src) (README quirk 1, kept so
   * results match the reference) */
  const float *empty = se_session_embedding (s, "", error);
  const float *src = empty && *r->src ? se_session_embedding (s, r->src, error) : NULL;
  if (empty == NULL || (*r->src && src == NULL))
    return FALSE;
  guint per = src ? 2 : 1, group = se_session_group_size (per);
  const float *contexts[] = { src ? src : empty, empty };
  g_autofree double *eps = se_host_alloc ((gsize) group * per * n, sizeof (double), _("the UNet's predictions"), error);
  if (eps == NULL)
    return FALSE;

  for (guint j = 0; j < n_steps; j++) {
    guint m = dpm->first + j, t = dpm->timesteps[m], idx = n_steps - 1 - j;
    SeDpmStep st;
    se_dpm_step (dpm, m, &st);
    for (guint c0 = 0; c0 < K; c0 += group) {
      guint g = MIN (group, K - c0);
      if (!se_session_predict_candidates (s, xts + (idx + 1) * n, per_xts, c0, g, per, contexts, t, _("inversion"),
                                          j + 1, n_steps, eps, NULL, cancel, error))
        return FALSE;
      for (guint c = 0; c < g; c++) {
        const double *e0 = eps + c * per * n, *e1 = e0 + n;
        double *xt = xts + (c0 + c) * per_xts + (idx + 1) * n, *xprev = xt - n;
        double *z = zs + (c0 + c) * per_zs + idx * n, *dp = dprev + (c0 + c) * n;
        for (gsize i = 0; i < n; i++) {
          double e = per == 2 ? e0[i] + r->cfg_src * (e1[i] - e0[i]) : e0[i];
          double D = se_dpm_data (dpm, m, xt[i], e);
          if (j == n_steps - 1) {
            /* the last step goes to sigma 0: its noise map is zero and an
             * unchanged edit ends on this data prediction */
            rec[(c0 + c) * n + i] = D;
            z[i] = 0.0;
          } else {
            double mu = st.c_x * xt[i] + st.c_d * D;
            if (j > 0)
              mu += 0.5 * st.c_d * st.inv_r0 * (D - dp[i]);
            z[i] = (xprev[i] - mu) / st.c_n;
            xprev[i] = mu + st.c_n * z[i];
          }
          dp[i] = D;
        }
      }
    }
    if (progress)
      progress ("invert", j + 1, n_steps, data);
  }
  se_session_set_inversion (s, r, K, n_steps, NULL, g_steal_pointer (&dpm), g_steal_pointer (&xts),
                            g_steal_pointer (&zs), g_steal_pointer (&rec));
  return TRUE;
}

/* One step's masks and guidance for one candidate, what the observer sees. */
typedef struct {
  guint C, lh, lw, ah, aw, hw, aq;      /* concepts, latent and attention sizes */
  guint *ntok;                          /* [C]: tokens each concept's attention map sums */
  double *attn_sum, *attn_smooth;       /* [C][aq] */
  double *attn_threshold, *noise_threshold;   /* [C] */
  double *attn_mask, *noise_mask, *final_mask;  /* [C][hw] */
  gboolean *active, *noise_applied;     /* [C] */
  double *d, *guidance;                 /* [n] */
  double *abs_sum, *scratch, *small;    /* [hw], [hw], [aq] */
} StepWork;

static void
step_work_clear (StepWork *w)
{
  g_free (w->ntok);
  g_free (w->attn_sum);
  g_free (w->attn_smooth);
  g_free (w->attn_threshold);
  g_free (w->noise_threshold);
  g_free (w->attn_mask);
  g_free (w->noise_mask);
  g_free (w->final_mask);
  g_free (w->active);
  g_free (w->noise_applied);
  g_free (w->d);
  g_free (w->guidance);
  g_free (w->abs_sum);
  g_free (w->scratch);
  g_free (w->small);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StepWork, step_work_clear)

static gboolean
step_work_init (StepWork *w, const SeSession *s, guint C, GError **error)
{
  guint c1 = MAX (C, 1u);
  *w = (StepWork) { .C = C, .lh = s->lh, .lw = s->lw, .ah = s->lh / 4, .aw = s->lw / 4 };
  w->hw = w->lh * w->lw;
  w->aq = w->ah * w->aw;
  w->ntok = g_new0 (guint, c1);
  w->attn_threshold = g_new0 (double, c1);
  w->noise_threshold = g_new0 (double, c1);
  w->active = g_new0 (gboolean, c1);
  w->noise_applied = g_new0 (gboolean, c1);
  const char *what = _("the concept masks");
  return (w->attn_sum = se_host_alloc0 ((gsize) c1 * w->aq, sizeof (double), what, error)) &&
         (w->attn_smooth = se_host_alloc0 ((gsize) c1 * w->aq, sizeof (double), what, error)) &&
         (w->attn_mask = se_host_alloc0 ((gsize) c1 * w->hw, sizeof (double), what, error)) &&
         (w->noise_mask = se_host_alloc0 ((gsize) c1 * w->hw, sizeof (double), what, error)) &&
         (w->final_mask = se_host_alloc0 ((gsize) c1 * w->hw, sizeof (double), what, error)) &&
         (w->d = se_host_alloc (s->n, sizeof (double), what, error)) &&
         (w->guidance = se_host_alloc (s->n, sizeof (double), what, error)) &&
         (w->abs_sum = se_host_alloc (w->hw, sizeof (double), what, error)) &&
         (w->scratch = se_host_alloc (w->hw, sizeof (double), what, error)) &&
         (w->small = se_host_alloc (w->aq, sizeof (double), what, error));
}

/* The guidance of one step for one candidate (README section 3) into
 * w->guidance, with every concept's masks: eps holds 1 + C predictions of n
 * values (the unconditional first), maps their cross-attention maps
 * [1 + C][aq][tokens], or NULL when the masks do not use them. */
static void
concept_guidance (const SeRecipe *r, StepWork *w, guint step, guint t, const double *eps, const double *maps,
                  guint tokens, gsize n, guint channels)
{
  guint hw = w->hw, aq = w->aq;
  const double *eu = eps;
  memset (w->guidance, 0, n * sizeof (double));
  for (guint c = 0; c < w->C; c++) {
    const SeConcept *k = &g_array_index (r->concepts, SeConcept, c);
    double *am = w->attn_mask + (gsize) c * hw, *nm = w->noise_mask + (gsize) c * hw;
    double *fm = w->final_mask + (gsize) c * hw;
    double *S = w->attn_sum + (gsize) c * aq, *Sm = w->attn_smooth + (gsize) c * aq;
    w->active[c] = step >= k->warmup && !(k->cooldown >= 0 && step >= (guint) k->cooldown);
    w->noise_applied[c] = FALSE;
    w->attn_threshold[c] = w->noise_threshold[c] = 0.0;
    memset (S, 0, aq * sizeof (double));
    memset (Sm, 0, aq * sizeof (double));
    if (!w->active[c]) {
      memset (am, 0, hw * sizeof (double));
      memset (nm, 0, hw * sizeof (double));
      memset (fm, 0, hw * sizeof (double));
      continue;
    }
    const double *ec = eps + (gsize) (1 + c) * n;
    double f = k->reverse ? -k->scale : k->scale;
    for (gsize i = 0; i < n; i++)
      w->d[i] = (ec[i] - eu[i]) * f;
    for (guint i = 0; i < hw; i++)
      am[i] = nm[i] = 1.0;
    if (maps) {
      se_pp_attention_sum (maps + (gsize) (1 + c) * aq * tokens, aq, tokens, w->ntok[c], S);
      se_pp_smooth (S, w->ah, w->aw, Sm);
      w->attn_threshold[c] = se_pp_threshold (Sm, aq, k->threshold, w->small, w->scratch);
      se_pp_upsample4 (w->small, w->lh, w->lw, am);
    }
    if (r->masks == SE_MASKS_NOISE || (r->masks == SE_MASKS_INTERSECT && t <= NOISE_MASK_MAX_T)) {
      se_pp_abs_channel_sum (w->d, channels, hw, w->abs_sum);
      w->noise_threshold[c] = se_pp_threshold (w->abs_sum, hw, k->threshold, nm, w->scratch);
      w->noise_applied[c] = TRUE;
    }
    for (guint i = 0; i < hw; i++)
      fm[i] = am[i] * nm[i];
    for (guint ch = 0; ch < channels; ch++)
      for (guint i = 0; i < hw; i++)
        w->guidance[(gsize) ch * hw + i] += w->d[(gsize) ch * hw + i] * fm[i];
  }
}

/* The tokens concept c's attention map sums: the prompt's own (at most 75)
 * or, like diffusers with a fast tokenizer, 75 (README quirk 4). */
static void
count_tokens (SeSession *s, const SeRecipe *r, StepWork *w)
{
  SeModel *m = s->model;
  guint P = m->files->clip.positions;
  g_autofree gint32 *ids = g_new (gint32, P);
  for (guint c = 0; c < w->C; c++) {
    const char *prompt = g_array_index (r->concepts, SeConcept, c).prompt;
    guint count = se_tokenizer_encode (m->tokenizer, prompt, ids, P);
    w->ntok[c] = r->mask_padded_tokens ? P - 2 : MIN (count, P - 2);
  }
}

gboolean
se_ledits_pp_edit (SeSession *s, const SeRecipe *r, SeImage *out, SeProgressFunc progress, gpointer data,
                   GCancellable *cancel, GError **error)
{
  const SeDpmSchedule *dpm = s->dpm;
  guint C = r->concepts->len, per = 1 + C, T = s->inv_steps;
  guint cands = s->candidates, group = se_session_group_size (per);
  gsize n = s->n;
  guint hw = s->lh * s->lw, channels = (guint) (n / hw);
  guint tokens = s->model->files->clip.positions;
  gboolean attention = C > 0 && r->masks != SE_MASKS_NOISE;
  g_autofree const float **prompts = g_new (const float *, per);
  if (!(prompts[0] = se_session_embedding (s, "", error)))
    return FALSE;
  for (guint c = 0; c < C; c++)
    if (!(prompts[1 + c] = se_session_embedding (s, g_array_index (r->concepts, SeConcept, c).prompt, error)))
      return FALSE;
  g_auto (StepWork) w = { 0 };
  if (!step_work_init (&w, s, C, error))
    return FALSE;
  count_tokens (s, r, &w);

  gsize per_masks = (gsize) MAX (C, 1u) * hw;
  g_autofree double *x = se_host_alloc ((gsize) cands * n, sizeof (double), _("the edited latents"), error);
  g_autofree double *trace = x ? se_host_alloc ((gsize) cands * T * n, sizeof (double), _("the edit's trace"), error)
                               : NULL;
  g_autofree double *eps = trace ? se_host_alloc ((gsize) group * per * n, sizeof (double),
                                                  _("the UNet's predictions"), error) : NULL;
  g_autofree double *maps = eps && attention ? se_host_alloc ((gsize) group * per * w.aq * tokens, sizeof (double),
                                                              _("the attention maps"), error) : NULL;
  g_autofree double *estimate = eps && (maps || !attention)
                                  ? se_host_alloc ((gsize) cands * n, sizeof (double), _("the edit's estimates"), error)
                                  : NULL;
  g_autofree double *dprev = estimate ? se_host_alloc ((gsize) cands * n, sizeof (double), _("the edit's estimates"),
                                                       error) : NULL;
  g_autofree double *masks = dprev ? se_host_alloc0 ((gsize) cands * per_masks, sizeof (double),
                                                     _("the concept masks"), error) : NULL;
  g_autofree double *coverage = masks ? se_host_alloc0 ((gsize) cands * per_masks, sizeof (double),
                                                        _("the concept masks"), error) : NULL;
  if (coverage == NULL)
    return FALSE;
  gboolean retrace = se_session_edit_retraces (r);
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
  s->estimate = estimate;
  for (guint i = 0; ok && i < T; i++) {
    if (retrace) {
      se_session_retrace_step (s, i, T, (gsize) (T + 1) * n, x, trace);
      if (progress)
        progress ("edit", i + 1, total, data);
      continue;
    }
    guint m = dpm->first + i, t = dpm->timesteps[m], idx = T - 1 - i;
    SeDpmStep st;
    se_dpm_step (dpm, m, &st);
    /* first order at the first step and at the last (lower_order_final) */
    gboolean second = i > 0 && i < T - 1;
    for (guint c0 = 0; c0 < cands; c0 += group) {
      guint g = MIN (group, cands - c0);
      if (!se_session_predict_candidates (s, x, n, c0, g, per, prompts, t, _("edit"), i + 1, T, eps, maps, cancel,
                                          error)) {
        ok = FALSE;
        break;
      }
      for (guint c = 0; c < g; c++) {
        guint k = c0 + c;
        double *xc = x + k * n, *D = estimate + k * n, *dp = dprev + k * n;
        const double *z = s->zs + (gsize) k * T * n + (gsize) idx * n;
        const double *e_c = eps + (gsize) c * per * n;
        concept_guidance (r, &w, i, t, e_c, maps ? maps + (gsize) c * per * w.aq * tokens : NULL, tokens, n,
                          channels);
        for (gsize q = 0; q < n; q++) {
          double d = se_dpm_data (dpm, m, xc[q], e_c[q] + w.guidance[q]);
          double mu = st.c_x * xc[q] + st.c_d * d;
          if (second)
            mu += 0.5 * st.c_d * st.inv_r0 * (d - dp[q]);
          D[q] = dp[q] = d;
          xc[q] = mu + st.c_n * z[q];
        }
        memcpy (trace + ((gsize) k * T + i) * n, xc, n * sizeof (double));
        memcpy (s->masks + k * per_masks, w.final_mask, (gsize) C * hw * sizeof (double));
        for (gsize q = 0; q < (gsize) C * hw; q++)
          coverage[k * per_masks + q] += w.final_mask[q];
        if (s->observer) {
          SePpStep rec = {
            i, t, C, w.attn_sum, w.attn_smooth, w.attn_threshold, w.noise_threshold, w.attn_mask, w.noise_mask,
            w.final_mask, w.active, w.noise_applied, w.guidance, xc,
          };
          s->observer (&rec, k, s->observer_data);
        }
      }
    }
    for (guint c = 0; c < C; c++)
      active_steps[c] += w.active[c] ? 1 : 0;
    if (ok && progress)
      progress ("edit", i + 1, total, data);
  }
  s->estimate = NULL;
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
