/* test_step_kernels.c: LEDITS' step kernels (shaders/ledits/, step-ops.h)
 * against the host in double precision: SEGA's quantile thresholds against
 * ref_quantile, whole edit steps (guidance, thresholds, warm-up weights,
 * cool-down, reversal, momentum, the DDPM update) against ref_sega_step
 * and the update (sega-reference.c), the inversion step against its
 * formulas (DDPM and the DPM-Solver), LEDITS++' attention sums, masks and
 * edit steps against pp-masks-reference.c and the solver's step, the
 * batch's sample against the latents it copies, and the status words for a
 * prediction that is not finite; each with fp32 and fp16 predictions.
 *
 * Predictions are multiples of 2^-8 in [-4, 4) and scales powers of two,
 * so fp16 holds them exactly and scale (e_c - e_u) is exact in fp32: the
 * device selects the same order statistics as the host, ties included
 * (a channel of 30 positions holds many equal values), and the bounds
 * need only cover fp32 arithmetic: 1e-5 of the largest value. */
#include <math.h>
#include <string.h>

#include "quantile-reference.h"
#include "ledits/step-ops.h"
#include "pp-masks-reference.h"
#include "sega-reference.h"
#include "test-util.h"

#define BOUND 1e-5

static GRand *rng;
static SeDType act;             /* the predictions' type in this pass */

static float *
grid_values (gsize n, double lo, double hi)
{
  float *v = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    v[i] = (float) (floor (g_rand_double_range (rng, lo, hi) * 256.0) / 256.0);
  return v;
}

static SeTensor *
typed_tensor (SeGpu *gpu, SeDType dtype, const float *data, gsize n)
{
  g_autoptr (GError) error = NULL;
  SeTensor *t = se_tensor_new_typed (gpu, dtype, 1, (gint64[]) { (gint64) n }, &error);
  g_assert_no_error (error);
  if (data) {
    g_assert_true (se_tensor_upload (t, data, &error));
    g_assert_no_error (error);
  }
  return t;
}

static SeTensor *
params_tensor (SeGpu *gpu, const SeStepParams *p, guint concepts)
{
  g_autoptr (GError) error = NULL;
  gsize n = se_step_params_floats (concepts);
  SeTensor *t = typed_tensor (gpu, SE_DTYPE_F32, NULL, n);
  g_assert_true (se_tensor_upload_raw (t, p, n * sizeof (float), &error));
  g_assert_no_error (error);
  return t;
}

static float *
fetch_floats (const SeTensor *t)
{
  g_autoptr (GError) error = NULL;
  float *v = g_new (float, t->numel);
  g_assert_true (se_tensor_download (t, v, &error));
  g_assert_no_error (error);
  return v;
}

static void
update_coefficients (SeStepParams *p, double *a, double *ap, double *var)
{
  *a = g_rand_double_range (rng, 0.2, 0.8);
  *ap = g_rand_double_range (rng, *a, 0.95);
  *var = g_rand_double_range (rng, 0.05, 0.9) * (1.0 - *ap);
  se_step_params_update (p, *a, *ap, *var);
}

/* The recipe of the edit case: every rule of se_sega_step somewhere in six
 * steps (warm-ups, a cool-down, a reversal, a zero weight, thresholds at 0,
 * inside and at 1). */
static SeRecipe *
edit_recipe (void)
{
  SeRecipe *r = se_recipe_new ();
  r->cfg_tar = 7.5;
  r->mom_scale = 0.3;
  r->mom_beta = 0.6;
  const struct {
    double scale, threshold, weight;
    guint warmup;
    gint cooldown;
    gboolean reverse;
  } c[] = {
    { 2.0, 0.9, 1.0, 0, -1, FALSE },
    { 4.0, 0.5, 2.5, 2, 4, TRUE },
    { 0.5, 0.0, 0.7, 1, -1, FALSE },
    { 1.0, 1.0, 0.0, 0, 5, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (c); i++) {
    SeConcept *k = se_recipe_add_concept (r, "x");
    k->scale = c[i].scale;
    k->threshold = c[i].threshold;
    k->weight = c[i].weight;
    k->warmup = c[i].warmup;
    k->cooldown = c[i].cooldown;
    k->reverse = c[i].reverse;
  }
  return r;
}

/* Six edit steps of K candidates in groups of 2 (the second group smaller)
 * with `concepts` of the recipe's, latents of L channels of P positions. */
static void
check_edit_steps (SeGpu *gpu, guint concepts, guint L, gsize P)
{
  g_autoptr (SeRecipe) all = edit_recipe ();
  g_autoptr (SeRecipe) r = se_recipe_copy (all);
  g_array_set_size (r->concepts, concepts);
  const guint K = 3, group = 2, steps = 6, C = concepts, per = 2 + C;
  gsize n = L * P;
  g_autoptr (GError) error = NULL;
  g_autofree float *x0 = grid_values (K * n, -2, 2);
  g_autofree float *zf = grid_values (K * steps * n, -2, 2);
  g_autoptr (SeTensor) lat = typed_tensor (gpu, SE_DTYPE_F32, x0, K * n);
  g_autofree float *zero = g_new0 (float, 4 + 2 * K * n);
  g_autoptr (SeTensor) mom = typed_tensor (gpu, SE_DTYPE_F32, zero, K * n);
  g_autoptr (SeTensor) zs = typed_tensor (gpu, SE_DTYPE_F32, zf, K * steps * n);
  g_autoptr (SeTensor) report = typed_tensor (gpu, SE_DTYPE_F32, zero, 4 + 2 * K * n);
  g_autoptr (SeTensor) thr = typed_tensor (gpu, SE_DTYPE_F32, NULL, MAX (group * C * L, 1));
  SeEditState st = { lat, mom, zs, report, K, n, steps * n };

  g_autofree double *x = g_new (double, K * n), *m = g_new0 (double, K * n), *e = g_new (double, n);
  g_autofree double *est = g_new (double, K * n), *eps = g_new (double, per * n);
  g_autofree double *absg = g_new (double, P), *scratch = g_new (double, P);
  for (gsize i = 0; i < K * n; i++)
    x[i] = x0[i];
  g_autofree SeStepParams *p = se_step_params_new (C);
  for (guint step = 0; step < steps; step++) {
    double a, ap, var;
    update_coefficients (p, &a, &ap, &var);
    se_step_params_edit (p, r, step, (guint) P);
    guint idx = steps - 1 - step;
    p->z_offset = (guint32) (idx * n);
    g_autoptr (SeTensor) params = params_tensor (gpu, p, C);
    for (guint c0 = 0; c0 < K; c0 += group) {
      guint g = MIN (group, K - c0);
      g_autofree float *ef = grid_values ((gsize) g * per * n, -4, 4);
      g_autoptr (SeTensor) te = typed_tensor (gpu, act, ef, (gsize) g * per * n);
      g_assert_true (se_op_sega_quantiles (gpu, te, g, per, C, L, P, params, thr, &error));
      g_assert_no_error (error);
      g_autofree float *q = fetch_floats (thr);
      g_assert_true (se_op_edit_step (gpu, te, c0, g, per, C, P, params, thr, &st, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < g; c++) {
        guint k = c0 + c;
        for (gsize i = 0; i < per * n; i++)
          eps[i] = ef[(gsize) c * per * n + i];
        /* the thresholds of the concepts guiding this step */
        for (guint j = 0; j < C; j++) {
          const SeConcept *kc = &g_array_index (r->concepts, SeConcept, j);
          if (kc->cooldown >= 0 && step >= (guint) kc->cooldown)
            continue;
          for (guint ch = 0; ch < L; ch++) {
            for (gsize i = 0; i < P; i++)
              absg[i] = fabs (kc->scale * (eps[(2 + j) * n + ch * P + i] - eps[ch * P + i]));
            double want = ref_quantile (absg, P, kc->threshold, scratch);
            double got = q[((gsize) c * C + j) * L + ch];
            if (fabs (got - want) > 1e-6 * fmax (fabs (want), 1.0))
              g_error ("step %u, candidate %u, concept %u, channel %u: threshold %.9g, want %.9g", step, k, j, ch,
                       got, want);
          }
        }
        ref_sega_step (r, step, eps, n, L, m + k * n, e);
        const float *z = zf + ((gsize) k * steps + idx) * n;
        for (gsize i = 0; i < n; i++) {
          double *xi = x + k * n + i;
          est[k * n + i] = (*xi - sqrt (1.0 - a) * e[i]) / sqrt (a);
          *xi = sqrt (ap) * est[k * n + i] + sqrt (1.0 - ap - var) * e[i] + sqrt (var) * z[i];
        }
      }
    }
    g_autofree float *rep = fetch_floats (report);
    g_autofree double *got_est = g_new (double, K * n), *got_x = g_new (double, K * n);
    for (gsize i = 0; i < K * n; i++) {
      got_est[i] = rep[4 + i];
      got_x[i] = rep[4 + K * n + i];
    }
    g_autofree char *w1 = g_strdup_printf ("edit step %u (%u concepts, %s): estimates", step, C,
                                           act == SE_DTYPE_F16 ? "fp16" : "fp32");
    se_test_assert_close (w1, got_est, est, K * n, BOUND);
    g_autofree char *w2 = g_strdup_printf ("edit step %u (%u concepts): latents", step, C);
    se_test_assert_close (w2, got_x, x, K * n, BOUND);
    g_assert_cmpuint (((guint32 *) rep)[0], ==, 0);
  }
}

static void
test_edit_steps (SeGpu *gpu)
{
  for (guint pass = 0; pass < 2; pass++) {
    act = pass ? SE_DTYPE_F16 : SE_DTYPE_F32;
    check_edit_steps (gpu, 4, 4, 30);           /* many ties */
    check_edit_steps (gpu, 2, 4, 1024);         /* fuller radix passes */
    check_edit_steps (gpu, 0, 4, 30);           /* classifier-free guidance only */
  }
}

/* Five inversion steps of 3 candidates with and without a source prompt,
 * DDPM's (dpm NULL) or the DPM-Solver's (its last five indices: second
 * order after the first, the last to sigma 0). */
static void
check_invert_steps (SeGpu *gpu, guint per, const SeDpmSchedule *dpm)
{
  const guint K = 3, steps = 5, group = 2;
  const gsize n = 4 * 7 * 5;
  g_autoptr (GError) error = NULL;
  g_autofree float *xf = grid_values (K * (steps + 1) * n, -2, 2);
  g_autofree float *zero = g_new0 (float, K * n);
  g_autoptr (SeTensor) xts = typed_tensor (gpu, SE_DTYPE_F32, xf, K * (steps + 1) * n);
  g_autoptr (SeTensor) zs = typed_tensor (gpu, SE_DTYPE_F32, NULL, K * steps * n);
  g_autoptr (SeTensor) rec = typed_tensor (gpu, SE_DTYPE_F32, NULL, K * n);
  g_autoptr (SeTensor) dprev = typed_tensor (gpu, SE_DTYPE_F32, zero, K * n);
  g_autoptr (SeTensor) report = typed_tensor (gpu, SE_DTYPE_F32, zero, 4);
  SeInvertState st = { xts, zs, rec, dprev, report, K, steps, n };
  g_autofree double *x = g_new (double, K * (steps + 1) * n), *z = g_new (double, K * steps * n);
  g_autofree double *want_rec = g_new (double, K * n), *dp = g_new0 (double, K * n);
  for (gsize i = 0; i < K * (steps + 1) * n; i++)
    x[i] = xf[i];
  for (guint j = 0; j < steps; j++) {
    guint idx = steps - 1 - j, m = dpm ? dpm->first + j : 0;
    double a = 0, ap = 0, var = 0;
    SeDpmStep ds = { 0 };
    SeStepParams p = { .cfg = 3.5f, .z_offset = idx };
    if (dpm) {
      se_step_params_dpm (&p, dpm, m, j > 0);
      se_dpm_step (dpm, m, &ds);
      p.last = idx == 0 ? SE_LAST_DATA : SE_LAST_NOT;
    } else {
      update_coefficients (&p, &a, &ap, &var);
      p.last = idx == 0 ? SE_LAST_MEAN : SE_LAST_NOT;
    }
    g_autoptr (SeTensor) params = params_tensor (gpu, &p, 0);
    for (guint c0 = 0; c0 < K; c0 += group) {
      guint g = MIN (group, K - c0);
      g_autofree float *ef = grid_values ((gsize) g * per * n, -4, 4);
      g_autoptr (SeTensor) te = typed_tensor (gpu, act, ef, (gsize) g * per * n);
      g_assert_true (se_op_invert_step (gpu, te, c0, g, per, params, &st, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < g; c++) {
        guint k = c0 + c;
        double *xt = x + ((gsize) k * (steps + 1) + idx + 1) * n, *xprev = xt - n;
        for (gsize i = 0; i < n; i++) {
          double eu = ef[(gsize) c * per * n + i];
          double e = per == 2 ? eu + 3.5 * (ef[(gsize) c * per * n + n + i] - eu) : eu;
          double *zi = z + ((gsize) k * steps + idx) * n + i, *d = dp + k * n + i;
          if (dpm) {
            /* ledits-pp.c's loop, as it was on the host */
            double D = se_dpm_data (dpm, m, xt[i], e);
            if (idx == 0) {
              want_rec[k * n + i] = D;
              *zi = 0.0;
            } else {
              double mu = ds.c_x * xt[i] + ds.c_d * D + (j > 0 ? 0.5 * ds.c_d * ds.inv_r0 * (D - *d) : 0.0);
              *zi = (xprev[i] - mu) / ds.c_n;
              xprev[i] = mu + ds.c_n * *zi;
            }
            *d = D;
            continue;
          }
          double mu = sqrt (ap) * (xt[i] - sqrt (1.0 - a) * e) / sqrt (a) + sqrt (1.0 - ap - var) * e;
          double zv = (xprev[i] - mu) / sqrt (var);
          xprev[i] = mu + sqrt (var) * zv;
          *zi = idx == 0 ? 0.0 : zv;
          if (idx == 0)
            want_rec[k * n + i] = mu;
        }
      }
    }
  }
  const char *kind = dpm ? "DPM-Solver" : "DDPM";
  g_autofree double *got_x = se_test_fetch (xts), *got_z = se_test_fetch (zs), *got_rec = se_test_fetch (rec);
  g_autofree char *w1 = g_strdup_printf ("%s inversion, batches of %u: noised latents", kind, per);
  g_autofree char *w2 = g_strdup_printf ("%s inversion, batches of %u: noise maps", kind, per);
  g_autofree char *w3 = g_strdup_printf ("%s inversion, batches of %u: reconstructions", kind, per);
  se_test_assert_close (w1, got_x, x, K * (steps + 1) * n, BOUND);
  se_test_assert_close (w2, got_z, z, K * steps * n, BOUND);
  se_test_assert_close (w3, got_rec, want_rec, K * n, BOUND);
  g_autofree float *rep = fetch_floats (report);
  g_assert_cmpuint (((guint32 *) rep)[0], ==, 0);
}

static void
test_invert_steps (SeGpu *gpu)
{
  for (guint pass = 0; pass < 2; pass++) {
    act = pass ? SE_DTYPE_F16 : SE_DTYPE_F32;
    g_autoptr (SeDpmSchedule) dpm = se_dpm_schedule_new (20, 5);
    check_invert_steps (gpu, 1, NULL);
    check_invert_steps (gpu, 2, NULL);
    check_invert_steps (gpu, 1, dpm);
    check_invert_steps (gpu, 2, dpm);
  }
}

/* Four LEDITS++ edit steps of 3 candidates in groups of 2, with two
 * captured layers' maps, concepts warming up and reversed, masks of one
 * kind (SeMaskMode), on a 4-step solver schedule (timesteps 801 to 201). */
static void
check_pp_edit_steps (SeGpu *gpu, SeMaskMode mode)
{
  const guint K = 3, group = 2, steps = 4, C = 2, per = 1 + C, lh = 8, lw = 12, L = 4, tokens = 7, layers = 2;
  const guint hw = lh * lw, aq = hw / 16;
  const gsize n = (gsize) L * hw;
  const guint ntok[] = { 3, 6 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) r = se_recipe_new_for (SE_METHOD_LEDITS_PP);
  r->masks = mode;
  se_recipe_add_concept (r, "x");
  se_recipe_add_concept (r, "y");          /* (which may move the first) */
  SeConcept *k0 = &g_array_index (r->concepts, SeConcept, 0), *k1 = &g_array_index (r->concepts, SeConcept, 1);
  k0->scale = 2.0;
  k0->threshold = 0.6;
  k1->scale = 4.0;
  k1->threshold = 0.25;
  k1->reverse = TRUE;
  k1->warmup = 1;
  g_autoptr (SeDpmSchedule) dpm = se_dpm_schedule_new (steps, steps);   /* t from 801: no noise mask at first */
  g_autofree float *x0 = grid_values (K * n, -2, 2), *zf = grid_values (K * steps * n, -2, 2);
  g_autofree float *zero = g_new0 (float, 4 + 3 * K * n + K * C * hw);
  g_autoptr (SeTensor) lat = typed_tensor (gpu, SE_DTYPE_F32, x0, K * n);
  g_autoptr (SeTensor) dprev = typed_tensor (gpu, SE_DTYPE_F32, zero, K * n);
  g_autoptr (SeTensor) zs = typed_tensor (gpu, SE_DTYPE_F32, zf, K * steps * n);
  g_autoptr (SeTensor) sums = typed_tensor (gpu, SE_DTYPE_F32, NULL, K * C * aq);
  g_autoptr (SeTensor) detail = typed_tensor (gpu, SE_DTYPE_F32, NULL, K * C * (aq + hw + 2));
  g_autoptr (SeTensor) report = typed_tensor (gpu, SE_DTYPE_F32, zero, 4 + 3 * K * n + K * C * hw);
  SePpEditState st = { lat, dprev, zs, sums, detail, report, K, C, lh, lw, n, steps * n };

  g_autofree double *x = g_new (double, K * n), *dp = g_new0 (double, K * n), *D = g_new (double, K * n);
  g_autofree double *guide = g_new (double, K * n), *masks = g_new (double, K * C * hw);
  g_autofree double *avg = g_new (double, aq * tokens), *S = g_new (double, aq), *Sm = g_new (double, aq);
  g_autofree double *small = g_new (double, aq), *am = g_new (double, hw), *nm = g_new (double, hw);
  g_autofree double *d = g_new (double, n), *abs_sum = g_new (double, hw), *scratch = g_new (double, hw);
  for (gsize i = 0; i < K * n; i++)
    x[i] = x0[i];
  g_autofree SeStepParams *p = se_step_params_new (C);
  for (guint i = 0; i < steps; i++) {
    guint m = dpm->first + i, t = dpm->timesteps[m], idx = steps - 1 - i;
    gboolean second = i > 0 && i < steps - 1;
    se_step_params_dpm (p, dpm, m, second);
    se_step_params_pp_edit (p, r, i, t, hw, aq, ntok);
    p->z_offset = (guint32) (idx * n);
    SeDpmStep ds;
    se_dpm_step (dpm, m, &ds);
    g_autoptr (SeTensor) params = params_tensor (gpu, p, C);
    for (guint c0 = 0; c0 < K; c0 += group) {
      guint g = MIN (group, K - c0);
      g_autofree float *ef = grid_values ((gsize) g * per * n, -4, 4);
      g_autoptr (SeTensor) te = typed_tensor (gpu, act, ef, (gsize) g * per * n);
      float *probs[2];
      for (guint l = 0; l < layers; l++) {
        probs[l] = grid_values ((gsize) g * per * aq * tokens, 0, 1);
        g_autoptr (SeTensor) tp = se_test_tensor_dims (gpu, probs[l], g * per, aq, tokens);
        g_assert_true (se_op_pp_attention_sum (gpu, tp, c0, g, per, l == 0, layers, params, &st, &error));
        g_assert_no_error (error);
      }
      g_assert_true (se_op_pp_masks (gpu, te, c0, g, per, params, &st, &error) &&
                     se_op_pp_edit_step (gpu, te, c0, g, per, params, &st, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < g; c++) {
        guint k = c0 + c;
        const float *eu = ef + (gsize) c * per * n;
        memset (guide + k * n, 0, n * sizeof (double));
        for (guint j = 0; j < C; j++) {
          const SeConcept *kc = &g_array_index (r->concepts, SeConcept, j);
          double *fm = masks + ((gsize) k * C + j) * hw;
          if (i < kc->warmup) {
            memset (fm, 0, hw * sizeof (double));
            continue;
          }
          const float *ec = ef + ((gsize) c * per + 1 + j) * n;
          for (gsize q = 0; q < n; q++)
            d[q] = (ec[q] - eu[q]) * (kc->reverse ? -kc->scale : kc->scale);
          for (guint q = 0; q < hw; q++)
            am[q] = nm[q] = 1.0;
          if (mode != SE_MASKS_NOISE) {
            /* se_attn_capture_mean's layer mean, then the concept's tokens */
            for (gsize q = 0; q < (gsize) aq * tokens; q++)
              avg[q] = (probs[0][((gsize) c * per + 1 + j) * aq * tokens + q] +
                        probs[1][((gsize) c * per + 1 + j) * aq * tokens + q]) / layers;
            ref_pp_attention_sum (avg, aq, tokens, ntok[j], S);
            ref_pp_smooth (S, lh / 4, lw / 4, Sm);
            ref_pp_threshold (Sm, aq, kc->threshold, small, scratch);
            ref_pp_upsample4 (small, lh, lw, am);
          }
          if (mode == SE_MASKS_NOISE || (mode == SE_MASKS_INTERSECT && t <= 800)) {
            ref_pp_abs_channel_sum (d, L, hw, abs_sum);
            ref_pp_threshold (abs_sum, hw, kc->threshold, nm, scratch);
          }
          for (guint q = 0; q < hw; q++)
            fm[q] = am[q] * nm[q];
          for (guint ch = 0; ch < L; ch++)
            for (guint q = 0; q < hw; q++)
              guide[k * n + ch * hw + q] += d[ch * hw + q] * fm[q];
        }
        /* ledits-pp.c's update, as it was on the host */
        const float *z = zf + ((gsize) k * steps + idx) * n;
        for (gsize q = 0; q < n; q++) {
          double data = se_dpm_data (dpm, m, x[k * n + q], eu[q] + guide[k * n + q]);
          double mu = ds.c_x * x[k * n + q] + ds.c_d * data;
          if (second)
            mu += 0.5 * ds.c_d * ds.inv_r0 * (data - dp[k * n + q]);
          D[k * n + q] = dp[k * n + q] = data;
          x[k * n + q] = mu + ds.c_n * z[q];
        }
      }
      g_free (probs[0]);
      g_free (probs[1]);
      probs[0] = probs[1] = NULL;
    }
    g_autofree double *rep = se_test_fetch (report);
    const char *kind = mode == SE_MASKS_NOISE ? "noise" : mode == SE_MASKS_CROSS_ATTENTION ? "attention" : "both";
    g_autofree char *w0 = g_strdup_printf ("LEDITS++ step %u (%s masks, %s): masks", i, kind,
                                           act == SE_DTYPE_F16 ? "fp16" : "fp32");
    se_test_assert_close (w0, rep + 4 + 3 * K * n, masks, K * C * hw, 0.0);
    g_autofree char *w1 = g_strdup_printf ("LEDITS++ step %u (%s masks): data predictions", i, kind);
    se_test_assert_close (w1, rep + 4, D, K * n, BOUND);
    g_autofree char *w2 = g_strdup_printf ("LEDITS++ step %u (%s masks): latents", i, kind);
    se_test_assert_close (w2, rep + 4 + K * n, x, K * n, BOUND);
    g_autofree char *w3 = g_strdup_printf ("LEDITS++ step %u (%s masks): guidance", i, kind);
    se_test_assert_close (w3, rep + 4 + 2 * K * n, guide, K * n, BOUND);
    g_assert_cmpfloat (rep[0], ==, 0.0);
  }
}

static void
test_pp_edit_steps (SeGpu *gpu)
{
  for (guint pass = 0; pass < 2; pass++) {
    act = pass ? SE_DTYPE_F16 : SE_DTYPE_F32;
    check_pp_edit_steps (gpu, SE_MASKS_INTERSECT);
    check_pp_edit_steps (gpu, SE_MASKS_CROSS_ATTENTION);
    check_pp_edit_steps (gpu, SE_MASKS_NOISE);
  }
}

/* A batch of candidates 1 and 2 of 3, three copies each, from latents at
 * a step's offset. */
static void
test_fill_sample (SeGpu *gpu)
{
  const gsize n = 60, stride = 4 * n;
  g_autoptr (GError) error = NULL;
  g_autofree float *src = grid_values (3 * stride, -4, 4);
  g_autoptr (SeTensor) ts = typed_tensor (gpu, SE_DTYPE_F32, src, 3 * stride);
  SeStepParams p = { .src_offset = (guint32) (2 * n) };
  g_autoptr (SeTensor) params = params_tensor (gpu, &p, 0);
  for (guint pass = 0; pass < 2; pass++) {
    g_autoptr (SeTensor) sample = typed_tensor (gpu, pass ? SE_DTYPE_F16 : SE_DTYPE_F32, NULL, 2 * 3 * n);
    g_assert_true (se_op_fill_sample (gpu, ts, stride, n, 1, 2, 3, params, sample, &error));
    g_assert_no_error (error);
    g_autofree double *got = se_test_fetch (sample);
    g_autofree double *want = g_new (double, 2 * 3 * n);
    for (guint c = 0; c < 2; c++)
      for (guint copy = 0; copy < 3; copy++)
        for (gsize i = 0; i < n; i++)
          want[((gsize) c * 3 + copy) * n + i] = src[(1 + c) * stride + 2 * n + i];
    se_test_assert_close ("fill_sample", got, want, 2 * 3 * n, 0.0);
  }
}

/* A prediction that is infinite or NaN sets the status words, whichever
 * prediction of the batch holds it. */
static void
test_non_finite_status (SeGpu *gpu)
{
  const gsize n = 40, P = 10;
  const guint C = 1, per = 3;
  g_autoptr (SeRecipe) r = se_recipe_new ();
  se_recipe_add_concept (r, "x");
  g_autoptr (GError) error = NULL;
  g_autofree float *zero = g_new0 (float, 3 * per * n + 4);
  g_autoptr (SeTensor) lat = typed_tensor (gpu, SE_DTYPE_F32, zero, n);
  g_autoptr (SeTensor) mom = typed_tensor (gpu, SE_DTYPE_F32, zero, n);
  g_autoptr (SeTensor) zs = typed_tensor (gpu, SE_DTYPE_F32, zero, n);
  g_autoptr (SeTensor) thr = typed_tensor (gpu, SE_DTYPE_F32, NULL, C * (n / P));
  g_autofree SeStepParams *p = se_step_params_new (C);
  se_step_params_update (p, 0.5, 0.6, 0.1);
  se_step_params_edit (p, r, 0, P);
  g_autoptr (SeTensor) params = params_tensor (gpu, p, C);
  const float bad[] = { INFINITY, -INFINITY, NAN };
  for (guint pass = 0; pass < 2; pass++)
    for (guint b = 0; b < G_N_ELEMENTS (bad); b++) {
      SeDType dt = pass ? SE_DTYPE_F16 : SE_DTYPE_F32;
      g_autoptr (SeTensor) report = typed_tensor (gpu, SE_DTYPE_F32, zero, 4 + 2 * n);
      SeEditState st = { lat, mom, zs, report, 1, n, n };
      g_autofree float *ef = grid_values (per * n, -1, 1);
      ef[(b + 1) * n - 7] = bad[b];                  /* e_u, the target, the concept in turn */
      g_autoptr (SeTensor) te = typed_tensor (gpu, dt, ef, per * n);
      g_assert_true (se_op_sega_quantiles (gpu, te, 1, per, C, n / P, P, params, thr, &error) &&
                     se_op_edit_step (gpu, te, 0, 1, per, C, P, params, thr, &st, &error));
      g_assert_no_error (error);
      g_autofree float *rep = fetch_floats (report);
      const guint32 *words = (const guint32 *) rep;
      g_assert_cmpuint (words[0], ==, 1);
      float v;
      memcpy (&v, &words[1], sizeof v);
      g_assert_true (isnan (bad[b]) ? isnan (v) : v == bad[b]);

      /* the inversion's kernel flags the same */
      g_autoptr (SeTensor) xts = typed_tensor (gpu, SE_DTYPE_F32, zero, 2 * n);
      g_autoptr (SeTensor) izs = typed_tensor (gpu, SE_DTYPE_F32, NULL, n);
      g_autoptr (SeTensor) rec = typed_tensor (gpu, SE_DTYPE_F32, NULL, n);
      g_autoptr (SeTensor) irep = typed_tensor (gpu, SE_DTYPE_F32, zero, 4);
      g_autoptr (SeTensor) dprev = typed_tensor (gpu, SE_DTYPE_F32, zero, n);
      SeInvertState ist = { xts, izs, rec, dprev, irep, 1, 1, n };
      g_autoptr (SeTensor) te2 = typed_tensor (gpu, dt, ef + (b == 2 ? 0 : b * n), 2 * n);
      gboolean flagged = b < 2;                      /* NaN sits in the third prediction, not read */
      g_assert_true (se_op_invert_step (gpu, te2, 0, 1, 2, params, &ist, &error));
      g_assert_no_error (error);
      g_autofree float *rep2 = fetch_floats (irep);
      g_assert_cmpuint (((const guint32 *) rep2)[0], ==, flagged ? 1 : 0);
    }
}

/* Parameters that do not fit the batch are refused with the operator named. */
static void
test_refusals (SeGpu *gpu)
{
  g_autoptr (GError) error = NULL;
  g_autofree SeStepParams *p = se_step_params_new (0);
  g_autoptr (SeTensor) params = params_tensor (gpu, p, 0);
  g_autoptr (SeTensor) eps = typed_tensor (gpu, SE_DTYPE_F32, NULL, 4 * 10);
  g_autoptr (SeTensor) thr = typed_tensor (gpu, SE_DTYPE_F32, NULL, 4);
  /* two concepts need their entries in the parameters */
  g_assert_false (se_op_sega_quantiles (gpu, eps, 1, 4, 2, 2, 5, params, thr, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "sega_quantiles"));
  g_clear_error (&error);
  /* the predictions must hold the batch */
  g_autoptr (SeTensor) small = typed_tensor (gpu, SE_DTYPE_F32, NULL, 20);
  g_autoptr (SeTensor) big = typed_tensor (gpu, SE_DTYPE_F32, NULL, 100);
  SeInvertState ist = { big, big, big, big, big, 2, 1, 10 };
  g_assert_false (se_op_invert_step (gpu, small, 0, 2, 2, params, &ist, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "invert_step"));
}

static const SeTestCase cases[] = {
  { "edit_steps", test_edit_steps },
  { "invert_steps", test_invert_steps },
  { "pp_edit_steps", test_pp_edit_steps },
  { "fill_sample", test_fill_sample },
  { "non_finite_status", test_non_finite_status },
  { "refusals", test_refusals },
};

int
main (int argc, char **argv)
{
  rng = g_rand_new_with_seed (20261207);
  int r = se_test_run_cases (argc, argv, "step-kernels", cases, G_N_ELEMENTS (cases));
  g_rand_free (rng);
  return r;
}
