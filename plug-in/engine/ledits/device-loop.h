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
#include "step-ops.h"

G_BEGIN_DECLS

/* Records a step's kernels for candidates [c0, c0 + count) reading the
 * UNet's predictions eps [count * per][n] and, when the loop captures
 * them, its cross-attention maps (SeTensor, one per layer captured). */
typedef gboolean (*SeStepKernels) (SeGpu *gpu, const SeTensor *eps, const GPtrArray *maps, guint c0, guint count,
                                   gpointer data, GError **error);

typedef struct {
  SeUNetPlan *plan;
  SeRecording *fill, *kernels;
} SeStepGroup;

typedef struct {
  SeSession *s;
  guint K, per, group;                  /* candidates, evaluations per candidate, candidates per batch */
  guint capture;                        /* the cross-attention maps' query count (SeAttnCapture), or 0 */
  const float *const *contexts;         /* [per] */
  const SeTensor *latents;              /* [K][stride]: the samples' source (fp32) */
  gsize stride;
  const SeTensor *params;               /* the step's coefficients, uploaded by the caller */
  SeStepKernels kernels;
  gpointer data;
  gboolean replay;
  SeStepGroup *groups;                  /* one per group of candidates */
} SeStepLoop;

void     se_step_loop_init (SeStepLoop *l, SeSession *s, guint K, guint per, guint capture,
                            const float *const *contexts, const SeTensor *latents, gsize stride,
                            const SeTensor *params, SeStepKernels kernels, gpointer data);
/* One step at timestep t (step `step` of `steps` of `phase`, for
 * messages): every group, then the report (fp32 words) into out.  A
 * non-finite prediction the kernels flagged in the report's status words
 * (edit_step.comp) fails it with a message naming the step. */
gboolean se_step_loop_run (SeStepLoop *l, guint t, const char *phase, guint step, guint steps,
                           const SeTensor *report, float *out, GCancellable *cancel, GError **error);
void     se_step_loop_clear (SeStepLoop *l);

/* A new fp32 tensor of rows x len values: row r from v + r * stride
 * (zeros when v is NULL); what names it for messages. */
SeTensor *se_step_tensor_from_rows (SeGpu *gpu, const double *v, gsize rows, gsize len, gsize stride,
                                    const char *what, GError **error);
/* The same for n contiguous values. */
SeTensor *se_step_tensor_from_doubles (SeGpu *gpu, const double *v, gsize n, const char *what, GError **error);
gboolean  se_step_tensor_to_doubles (const SeTensor *t, double *out, const char *what, GError **error);
/* After edit step i of T: the K candidates' estimates and latents of n
 * values from an edit's report into estimate and x, and the latents into
 * step i of the trace [K][T][n]. */
void      se_step_take_latents (const float *report, guint K, gsize n, guint T, guint i, double *estimate,
                                double *x, double *trace);
/* A step's coefficients for `concepts` concepts and the report's cleared
 * status words, uploaded before it. */
gboolean  se_step_upload (SeTensor *params, const SeStepParams *p, guint concepts, SeTensor *report,
                          GError **error);

/* An inversion step j of `steps`: its coefficients into p (src_offset and
 * z_offset set already) and its timestep into *t. */
typedef void (*SeInvertStepFunc) (gpointer data, guint j, guint steps, SeStepParams *p, guint *t);
/* The inversion of K candidates over N steps on the device, either method:
 * xts [K][N + 1][n] holds the noised latents (se_session_noised) and
 * receives them corrected; zs [K][N][n] and rec [K][n] receive the noise
 * maps and reconstructions.  contexts[per]: the batch's prompts. */
gboolean  se_step_invert (SeSession *s, guint K, guint N, guint per, const float *const *contexts, double *xts,
                          double *zs, double *rec, SeInvertStepFunc step, gpointer step_data,
                          SeProgressFunc progress, gpointer data, GCancellable *cancel, GError **error);

G_END_DECLS
