/* device-loop.h: LEDITS steps with their arithmetic on the device.  Each
 * step evaluates the candidates in groups (se_session_group_size); a
 * group's evaluation is one submission with one wait: the batch's sample
 * filled from the candidates' latents on the device, the recorded UNet
 * evaluation, then the step's kernels (step-ops.h) reading its output, and
 * after the last group, the copy of a small report back (status words,
 * what the host shows).  The host only uploads the step's coefficients
 * and timesteps between steps.  With SE_REPLAY=0 or profiling the same
 * kernels run around a directly recorded evaluation. */
#pragma once

#include "session-private.h"

G_BEGIN_DECLS

/* Records a step's kernels for candidates [c0, c0 + count) reading the
 * UNet's predictions eps [count * per][n]. */
typedef gboolean (*SeStepKernels) (SeGpu *gpu, const SeTensor *eps, guint c0, guint count, gpointer data,
                                   GError **error);

#define SE_STEP_LOOP_GROUPS SE_MAX_UNET_BATCH

typedef struct {
  SeUNetPlan *plan;
  SeRecording *fill, *kernels;
} SeStepGroup;

typedef struct {
  SeSession *s;
  guint K, per, group;                  /* candidates, evaluations per candidate, candidates per batch */
  const float *const *contexts;         /* [per] */
  const SeTensor *latents;              /* [K][stride]: the samples' source (fp32) */
  gsize stride;
  const SeTensor *params;               /* the step's coefficients, uploaded by the caller */
  SeStepKernels kernels;
  gpointer data;
  gboolean replay;
  SeStepGroup groups[SE_STEP_LOOP_GROUPS];
} SeStepLoop;

void     se_step_loop_init (SeStepLoop *l, SeSession *s, guint K, guint per, const float *const *contexts,
                            const SeTensor *latents, gsize stride, const SeTensor *params, SeStepKernels kernels,
                            gpointer data);
/* One step at timestep t (step `step` of `steps` of `phase`, for
 * messages): every group, then the report (fp32 words) into out.  A
 * non-finite prediction the kernels flagged in the report's status words
 * (edit_step.comp) fails it with a message naming the step. */
gboolean se_step_loop_run (SeStepLoop *l, guint t, const char *phase, guint step, guint steps,
                           const SeTensor *report, float *out, GCancellable *cancel, GError **error);
void     se_step_loop_clear (SeStepLoop *l);

G_END_DECLS
