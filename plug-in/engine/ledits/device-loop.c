/* device-loop.c: LEDITS steps on the device (device-loop.h). */
#include "device-loop.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ledits/step-ops.h"
#include "nets/unet-plan.h"

void
se_step_loop_init (SeStepLoop *l, SeSession *s, guint K, guint per, const float *const *contexts,
                   const SeTensor *latents, gsize stride, const SeTensor *params, SeStepKernels kernels,
                   gpointer data)
{
  *l = (SeStepLoop) { .s = s, .K = K, .per = per, .group = MIN (se_session_group_size (per), K),
                      .contexts = contexts, .latents = latents, .stride = stride, .params = params,
                      .kernels = kernels, .data = data, .replay = se_session_replay_wanted (s->model->gpu) };
  g_assert ((K + l->group - 1) / l->group <= SE_STEP_LOOP_GROUPS);
}

void
se_step_loop_clear (SeStepLoop *l)
{
  SeGpu *gpu = l->s->model->gpu;
  for (guint i = 0; i < SE_STEP_LOOP_GROUPS; i++) {
    se_recording_free (gpu, g_steal_pointer (&l->groups[i].fill));
    se_recording_free (gpu, g_steal_pointer (&l->groups[i].kernels));
    l->groups[i].plan = NULL;            /* the session's */
  }
}

/* A group's plan and the recordings around it, made on its first step. */
static gboolean
group_ready (SeStepLoop *l, SeStepGroup *grp, guint c0, guint g, GError **error)
{
  if (grp->kernels)
    return TRUE;
  SeGpu *gpu = l->s->model->gpu;
  grp->plan = se_session_plan_for (l->s, g * l->per, 0, error);
  if (grp->plan == NULL || !se_cmd_capture_begin (gpu, error))
    return FALSE;
  gboolean ok = se_op_fill_sample (gpu, l->latents, l->stride, l->s->n, c0, g, l->per, l->params,
                                   se_unet_plan_sample (grp->plan), error);
  ok = se_cmd_capture_end (gpu, &grp->fill, ok ? error : NULL) && ok;
  if (!ok || !se_cmd_capture_begin (gpu, error))
    return FALSE;
  ok = l->kernels (gpu, se_unet_plan_output (grp->plan), c0, g, l->data, error);
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
  g_autoptr (SeTensor) eps = se_unet_forward_t (m->unet, sample, tt, context, NULL, NULL, error);
  return eps && l->kernels (gpu, eps, c0, g, l->data, error) &&
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
