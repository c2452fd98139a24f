/* unet-plan.c: a captured UNet evaluation, replayed per step. */
#include "unet-plan.h"

#include <string.h>

struct _SeUNetPlan {
  SeUNet *unet;
  SeGpu *gpu;
  guint batch;
  gsize context_floats;         /* per batch element */
  SeTensor *sample, *timesteps, *context, *out;
  SeAttnCapture capture;        /* probs NULL when not capturing */
  const float **uploaded;       /* context address per batch element, last run */
  SeUNetKV *kv;                 /* the context's keys and values ... */
  SeRecording *kv_recording;    /* ... made by this, replayed when the context changes */
  SeRecording *recording;       /* one evaluation */
};

/* Frees the arena's tensors, then the recording that owns their memory. */
static void
clear (SeUNetPlan *p)
{
  g_clear_pointer (&p->sample, se_tensor_free);
  g_clear_pointer (&p->timesteps, se_tensor_free);
  g_clear_pointer (&p->context, se_tensor_free);
  g_clear_pointer (&p->out, se_tensor_free);
  g_clear_pointer (&p->capture.probs, g_ptr_array_unref);
  g_clear_pointer (&p->kv, se_unet_kv_free);
  se_recording_free (p->gpu, g_steal_pointer (&p->recording));
  se_recording_free (p->gpu, g_steal_pointer (&p->kv_recording));
}

SeUNetPlan *
se_unet_plan_new (SeUNet *unet, guint batch, guint h, guint w, guint context_len, guint capture_queries,
                  GError **error)
{
  const SeUNetConfig *c = se_unet_config (unet);
  SeGpu *gpu = se_unet_gpu (unet);
  g_autoptr (SeUNetPlan) p = g_new0 (SeUNetPlan, 1);
  p->unet = unet;
  p->gpu = gpu;
  p->batch = batch;
  p->context_floats = (gsize) context_len * c->context_dim;
  p->uploaded = g_new0 (const float *, batch);
  p->capture.max_queries = capture_queries;
  if (capture_queries)
    p->capture.probs = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  /* the context's keys and values, then the evaluation reading them */
  if (!se_cmd_capture_begin (gpu, error))
    return NULL;
  p->context = se_tensor_new_dims (gpu, error, batch, context_len, c->context_dim);
  p->kv = p->context ? se_unet_kv_new (unet, p->context, error) : NULL;
  /* on failure p's cleanup frees the tensors, then the recordings' arenas */
  gboolean ok = p->kv != NULL;
  ok = se_cmd_capture_end (gpu, &p->kv_recording, ok ? error : NULL) && ok;
  if (!ok || !se_cmd_capture_begin (gpu, error))
    return NULL;
  p->sample = se_tensor_new_dims (gpu, error, batch, c->in_channels, h, w);
  p->timesteps = p->sample ? se_tensor_new_typed (gpu, SE_DTYPE_F32, 1, (gint64[]) { batch }, error) : NULL;
  p->out = p->timesteps ? se_unet_forward_kv (unet, p->sample, p->timesteps, p->kv, NULL,
                                              capture_queries ? &p->capture : NULL, error) : NULL;
  ok = p->out != NULL;
  ok = se_cmd_capture_end (gpu, &p->recording, ok ? error : NULL) && ok;
  return ok ? g_steal_pointer (&p) : NULL;
}

void
se_unet_plan_free (SeUNetPlan *p)
{
  if (p == NULL)
    return;
  clear (p);
  g_free (p->uploaded);
  g_free (p);
}

guint
se_unet_plan_batch (const SeUNetPlan *p)
{
  return p->batch;
}

guint
se_unet_plan_capture_queries (const SeUNetPlan *p)
{
  return p->capture.probs ? p->capture.max_queries : 0;
}

gboolean
se_unet_plan_prepare (SeUNetPlan *p, const float *timesteps, const float *const *contexts, GError **error)
{
  if (!se_tensor_upload (p->timesteps, timesteps, error))
    return FALSE;
  gboolean changed = FALSE;
  for (guint b = 0; b < p->batch; b++) {
    if (p->uploaded[b] == contexts[b])
      continue;
    p->uploaded[b] = NULL;
    changed = TRUE;
    if (!se_tensor_upload_part (p->context, b * p->context_floats, contexts[b], p->context_floats, error))
      return FALSE;
    p->uploaded[b] = contexts[b];
  }
  /* a failed replay of the keys and values leaves them to be made again */
  if (changed && !se_cmd_replay (p->gpu, p->kv_recording, error)) {
    memset (p->uploaded, 0, p->batch * sizeof *p->uploaded);
    return FALSE;
  }
  return TRUE;
}

SeRecording *
se_unet_plan_recording (SeUNetPlan *p)
{
  return p->recording;
}

SeTensor *
se_unet_plan_sample (SeUNetPlan *p)
{
  return p->sample;
}

const SeTensor *
se_unet_plan_output (const SeUNetPlan *p)
{
  return p->out;
}

const GPtrArray *
se_unet_plan_maps (const SeUNetPlan *p)
{
  return p->capture.probs;
}
