/* device-loop.c: LEDITS steps on the device (device-loop.h). */
#include "device-loop.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "fault.h"
#include "ledits/step-ops.h"
#include "nets/unet-plan.h"

void
se_step_loop_init (SeStepLoop *l, SeSession *s, guint K, guint per, guint capture, const float *const *contexts,
                   const SeTensor *latents, gsize stride, const SeTensor *params, SeStepKernels kernels,
                   gpointer data)
{
  *l = (SeStepLoop) { .s = s, .K = K, .per = per, .group = MIN (se_session_group_size (per), K), .capture = capture,
                      .contexts = contexts, .latents = latents, .stride = stride, .params = params,
                      .kernels = kernels, .data = data, .replay = se_session_replay_wanted (s->model->gpu) };
  l->groups = g_new0 (SeStepGroup, (K + l->group - 1) / l->group);
}

void
se_step_loop_clear (SeStepLoop *l)
{
  SeGpu *gpu = l->s->model->gpu;
  for (guint i = 0; l->groups && i < (l->K + l->group - 1) / l->group; i++) {
    se_recording_free (gpu, l->groups[i].fill);
    se_recording_free (gpu, l->groups[i].kernels);
  }
  g_clear_pointer (&l->groups, g_free);   /* their plans are the session's */
}

/* A group's plan and the recordings around it, made on its first step. */
static gboolean
group_ready (SeStepLoop *l, SeStepGroup *grp, guint c0, guint g, GError **error)
{
  if (grp->kernels)
    return TRUE;
  SeGpu *gpu = l->s->model->gpu;
  grp->plan = se_session_plan_for (l->s, g * l->per, l->capture, error);
  if (grp->plan == NULL || !se_cmd_capture_begin (gpu, error))
    return FALSE;
  gboolean ok = se_op_fill_sample (gpu, l->latents, l->stride, l->s->n, c0, g, l->per, l->params,
                                   se_unet_plan_sample (grp->plan), error);
  ok = se_cmd_capture_end (gpu, &grp->fill, ok ? error : NULL) && ok;
  if (!ok || !se_cmd_capture_begin (gpu, error))
    return FALSE;
  ok = l->kernels (gpu, se_unet_plan_output (grp->plan), se_unet_plan_maps (grp->plan), c0, g, l->data, error);
  return se_cmd_capture_end (gpu, &grp->kernels, ok ? error : NULL) && ok;
}

/* The group's evaluation replayed between its recorded fill and kernels. */
static gboolean
replay_group (SeStepLoop *l, SeStepGroup *grp, guint c0, guint g, const float *ts, const float *const *ctx,
              const SeTensor *report, float *out, GError **error)
{
  SeGpu *gpu = l->s->model->gpu;
  if (!group_ready (l, grp, c0, g, error) || !se_unet_plan_prepare (grp->plan, ts, ctx, error))
    return FALSE;
  SeRecording *chain[] = { grp->fill, se_unet_plan_recording (grp->plan), grp->kernels };
  return se_cmd_replay_chain (gpu, chain, G_N_ELEMENTS (chain), report ? &report->alloc : NULL, out,
                              report ? report->numel * sizeof (float) : 0, error);
}

/* The same recorded directly, the UNet's intermediates allocated afresh. */
static gboolean
direct_group (SeStepLoop *l, guint c0, guint g, const float *ts, const float *const *ctx,
              const SeTensor *report, float *out, GError **error)
{
  SeSession *s = l->s;
  SeModel *m = s->model;
  SeGpu *gpu = m->gpu;
  guint B = g * l->per, L = (guint) (s->n / ((gsize) s->lh * s->lw)), P = m->files->clip.positions;
  gsize ctx_floats = (gsize) P * m->files->unet.context_dim;
  g_autoptr (SeTensor) sample = se_tensor_new_dims (gpu, error, B, L, s->lh, s->lw);
  g_autoptr (SeTensor) context = sample ? se_tensor_new_dims (gpu, error, B, P, m->files->unet.context_dim) : NULL;
  g_autoptr (SeTensor) tt = context ? se_tensor_new_typed (gpu, SE_DTYPE_F32, 1, (gint64[]) { B }, error) : NULL;
  if (tt == NULL || !se_tensor_upload (tt, ts, error))
    return FALSE;
  for (guint b = 0; b < B; b++)
    if (!se_tensor_upload_part (context, b * ctx_floats, ctx[b], ctx_floats, error))
      return FALSE;
  if (!se_op_fill_sample (gpu, l->latents, l->stride, s->n, c0, g, l->per, l->params, sample, error))
    return FALSE;
  g_autoptr (GPtrArray) maps = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  SeAttnCapture cap = { l->capture, maps };
  g_autoptr (SeTensor) eps = se_unet_forward_t (m->unet, sample, tt, context, NULL, l->capture ? &cap : NULL, error);
  return eps && l->kernels (gpu, eps, l->capture ? maps : NULL, c0, g, l->data, error) &&
         (report ? se_tensor_download (report, out, error) : se_cmd_submit (gpu, error));
}

gboolean
se_step_loop_run (SeStepLoop *l, guint t, const char *phase, guint step, guint steps, const SeTensor *report,
                  float *out, GCancellable *cancel, GError **error)
{
  g_autofree float *ts = g_new (float, l->group * l->per);
  g_autofree const float **ctx = g_new (const float *, l->group * l->per);
  for (guint b = 0; b < l->group * l->per; b++) {
    ts[b] = (float) t;
    ctx[b] = l->contexts[b % l->per];
  }
  for (guint c0 = 0, i = 0; c0 < l->K; c0 += l->group, i++) {
    guint g = MIN (l->group, l->K - c0);
    gboolean last = c0 + g == l->K;
    const SeTensor *rep = last ? report : NULL;
    if (g_cancellable_set_error_if_cancelled (cancel, error) ||
        !(l->replay ? replay_group (l, &l->groups[i], c0, g, ts, ctx, rep, out, error)
                    : direct_group (l, c0, g, ts, ctx, rep, out, error)))
      return FALSE;
  }
  /* the kernels' status words: a prediction that was not finite */
  const guint32 *status = (const guint32 *) out;
  if (status[0] == 0)
    return TRUE;
  float bad;
  memcpy (&bad, &status[1], sizeof bad);
  g_autofree char *what = g_strdup_printf (_("the UNet (%s step %u of %u, timestep %u)"), phase, step, steps, t);
  return se_session_finite (l->s->model, &bad, 1, what, error);
}

SeTensor *
se_step_tensor_from_rows (SeGpu *gpu, const double *v, gsize rows, gsize len, gsize stride, const char *what,
                          GError **error)
{
  g_autofree float *f = se_host_alloc (rows * len, sizeof (float), what, error);
  if (f == NULL)
    return NULL;
  for (gsize r = 0; r < rows; r++)
    for (gsize i = 0; i < len; i++)
      f[r * len + i] = v ? (float) v[r * stride + i] : 0.0f;
  g_autoptr (SeTensor) t = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) (rows * len));
  return t && se_tensor_upload (t, f, error) ? g_steal_pointer (&t) : NULL;
}

SeTensor *
se_step_tensor_from_doubles (SeGpu *gpu, const double *v, gsize n, const char *what, GError **error)
{
  return se_step_tensor_from_rows (gpu, v, 1, n, n, what, error);
}

void
se_step_take_latents (const float *report, guint K, gsize n, guint T, guint i, double *estimate, double *x,
                      double *trace)
{
  const float *est = report + SE_STEP_STATUS, *lat = est + (gsize) K * n;
  for (gsize q = 0; q < (gsize) K * n; q++) {
    estimate[q] = est[q];
    x[q] = lat[q];
  }
  for (guint k = 0; k < K; k++)
    memcpy (trace + ((gsize) k * T + i) * n, x + (gsize) k * n, n * sizeof (double));
}

gboolean
se_step_tensor_to_doubles (const SeTensor *t, double *out, const char *what, GError **error)
{
  g_autofree float *f = se_host_alloc (t->numel, sizeof (float), what, error);
  if (f == NULL || !se_tensor_download (t, f, error))
    return FALSE;
  for (gsize i = 0; i < t->numel; i++)
    out[i] = f[i];
  return TRUE;
}

gboolean
se_step_upload (SeTensor *params, const SeStepParams *p, guint concepts, SeTensor *report, GError **error)
{
  static const float zero[SE_STEP_STATUS];
  return se_tensor_upload_raw (params, p, se_step_params_floats (concepts) * sizeof (float), error) &&
         se_tensor_upload_part (report, 0, zero, SE_STEP_STATUS, error);
}

typedef struct {
  SeInvertState st;
  const SeTensor *params;
  guint per;
} InvertRun;

static gboolean
invert_kernels (SeGpu *gpu, const SeTensor *eps, const GPtrArray *maps, guint c0, guint count, gpointer data,
                GError **error)
{
  InvertRun *run = data;
  return se_op_invert_step (gpu, eps, c0, count, run->per, run->params, &run->st, error);
}

gboolean
se_step_invert (SeSession *s, guint K, guint N, guint per, const float *const *contexts, double *xts, double *zs,
                double *rec, SeInvertStepFunc step, gpointer step_data, SeProgressFunc progress, gpointer data,
                GCancellable *cancel, GError **error)
{
  SeGpu *gpu = s->model->gpu;
  gsize n = s->n, per_xts = (N + 1) * n;
  /* the noised latents go up once; each step's map and x_{t-1} stay there */
  g_autoptr (SeTensor) xts_t = se_step_tensor_from_doubles (gpu, xts, K * per_xts, _("the inversion's latents"),
                                                            error);
  g_autoptr (SeTensor) zs_t = xts_t ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) K * N * n) : NULL;
  g_autoptr (SeTensor) rec_t = zs_t ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, (gint64) K * n) : NULL;
  g_autoptr (SeTensor) dprev = rec_t ? se_step_tensor_from_doubles (gpu, NULL, K * n, _("the inversion's predictions"),
                                                                    error) : NULL;
  g_autoptr (SeTensor) report = dprev ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error, SE_STEP_STATUS) : NULL;
  g_autoptr (SeTensor) params = report ? se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, error,
                                                                   (gint64) se_step_params_floats (0)) : NULL;
  if (params == NULL)
    return FALSE;
  InvertRun run = { { xts_t, zs_t, rec_t, dprev, report, K, N, n }, params, per };
  SeStepLoop loop;
  se_step_loop_init (&loop, s, K, per, 0, contexts, xts_t, per_xts, params, invert_kernels, &run);
  float status[SE_STEP_STATUS];
  gboolean ok = TRUE;
  for (guint j = 0; ok && j < N; j++) {
    guint t, idx = N - j - 1;
    SeStepParams p = { .src_offset = (guint32) ((idx + 1) * n), .z_offset = idx };
    step (step_data, j, N, &p, &t);
    ok = se_step_upload (params, &p, 0, report, error) &&
         se_step_loop_run (&loop, t, _("inversion"), j + 1, N, report, status, cancel, error);
    if (ok && progress)
      progress ("invert", j + 1, N, data);
  }
  se_step_loop_clear (&loop);
  return ok && se_step_tensor_to_doubles (xts_t, xts, _("the inversion's latents"), error) &&
         se_step_tensor_to_doubles (zs_t, zs, _("the inversion's noise maps"), error) &&
         se_step_tensor_to_doubles (rec_t, rec, _("the inversion's reconstructions"), error);
}
