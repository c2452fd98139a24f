/* session-private.h: the structures behind engine.h's opaque types, shared by
 * engine.c and the LEDITS code; nothing outside the engine includes it. */
#pragma once

#include "engine.h"
#include "ledits/dpm-schedule.h"
#include "ledits/footprint.h"
#include "ledits/schedule.h"
#include "nets/clip.h"
#include "nets/unet-plan.h"
#include "nets/vae.h"
#include "text/tokenizer.h"

struct _SeEngine {
  SeGpu *gpu;
  GList *models;                /* SeModel*, loaded and not yet freed */
};

struct _SeModel {
  SeEngine *engine;
  SeGpu *gpu;
  GList *sessions;              /* SeSession*, open on this model */
  guint generation;             /* the device generation its networks live on */
  SeModelFiles *files;
  SeTokenizer *tokenizer;
  SeClip *clip;
  SeUNet *unet;
  SeVae *vae;
  SeFootprint footprint;        /* device memory per run, measured on first need */
  /* latent -> RGB preview: rgb[c] = map[c][0..3] . latent + map[c][4] */
  double preview_map[3][5];
};

/* Recorded UNet evaluations a session keeps: the inversion's batch and the
 * edit's (a dialog alternates between them). */
#define SE_SESSION_PLANS 2

/* What LEDITS++'s edit computed in one step for one candidate, per concept
 * (all zero for a concept not active at that step); handed to a test's
 * observer (se_session_observe_pp). */
typedef struct {
  guint step, timestep, concepts;
  const double *attn_sum, *attn_smooth;         /* [concepts][ah * aw] */
  const double *attn_threshold, *noise_threshold;   /* [concepts] */
  const double *attn_mask, *noise_mask, *final_mask;   /* [concepts][lh * lw], 0 or 1 */
  const gboolean *active, *noise_applied;       /* [concepts] */
  const double *guidance;                       /* [n]: the guided prediction minus e_u */
  const double *latent;                         /* [n]: after the step */
} SePpStep;
typedef void (*SePpObserver) (const SePpStep *step, guint candidate, gpointer data);

struct _SeSession {
  SeModel *model;
  guint width, height, lh, lw;
  gsize n;                      /* latent size: 4 * lh * lw */
  double *x0;
  GHashTable *embeddings;       /* prompt -> float [positions * context] */
  /* the inversions, one per candidate, of the recipe's method, steps, skip, src, cfg_src */
  gboolean inverted;
  SeMethod method;
  guint steps, skip;
  SeSchedule *schedule;         /* LEDITS */
  SeDpmSchedule *dpm;           /* LEDITS++ */
  guint inv_steps;              /* steps inverted: LEDITS all, LEDITS++ steps - skip */
  char *src;
  double cfg_src;
  guint candidates;
  double *xts, *zs;             /* [candidates][inv_steps + 1][n], [candidates][inv_steps][n],
                                 * index k: k steps from x0 (k = 0: x0) */
  double *reconstruction;       /* [candidates][n]: what an edit that changes nothing ends on */
  SeImage *sources;             /* [candidates]: those decoded (se_session_source), data NULL until asked */
  /* the last edit */
  double *latent, *trace;       /* [candidates][n], [candidates][trace_len][n] */
  guint trace_len;
  double *estimate;             /* [candidates][n] during an edit, else NULL */
  /* LEDITS++'s concept masks, [candidates][mask_concepts][lh * lw]: the
   * current (then last) step's, and the share of the edit's steps each
   * position was in */
  double *masks, *coverage;
  guint mask_concepts;
  SePpObserver observer;
  gpointer observer_data;
  /* recorded UNet evaluations by batch size, most recently used first */
  SeUNetPlan *plans[SE_SESSION_PLANS];
};

/* Makes the model usable before a call: after a device loss, drops every
 * model's networks and every session's recordings, re-creates the device,
 * and loads this model's networks again (sessions keep what they hold on
 * the host: latents, inversions, prompt embeddings). */
gboolean se_model_ready (SeModel *model, GError **error);
/* The same for an engine about to load a model. */
gboolean se_engine_ready (SeEngine *engine, GError **error);
/* What a failed call leaves: work recorded but not run, naming tensors the
 * failure freed, is dropped.  Returns ok. */
gboolean se_engine_finish (SeGpu *gpu, gboolean ok);
/* Frees a session's recorded evaluations (device memory), kept otherwise. */
void     se_session_drop_recordings (SeSession *s);

/* Decodes a latent of the session's size (scaled as in the session). */
gboolean se_session_decode_latent (SeSession *s, const double *latent, SeImage *out, GError **error);

/* session.c, for the methods' files */
gboolean     se_session_finite (const SeModel *m, const float *v, gsize n, const char *what, GError **error);
const float *se_session_embedding (SeSession *s, const char *prompt, GError **error);
/* diffusers' attention store: the cross-attention maps at (h/4) x (w/4),
 * the query count of the layers LEDITS++ captures. */
guint        se_session_capture_queries (const SeSession *s);
/* Candidates per UNet batch when each needs `per` evaluations. */
guint        se_session_group_size (guint per);
/* Whether UNet evaluations replay their recordings (SE_REPLAY, profiling). */
gboolean     se_session_replay_wanted (SeGpu *gpu);
/* The session's recorded evaluation for a batch size (capturing the
 * cross-attention maps of layers with `capture` queries, or 0), made on
 * first use; the least recently used one goes when a new one needs room. */
SeUNetPlan  *se_session_plan_for (SeSession *s, guint batch, guint capture, GError **error);
/* An inversion's arrays for K candidates of `steps` steps: xts
 * [K][steps + 1][n] holding x0 and the noised latents xts[k + 1] =
 * a[k] x0 + b[k] d_k (k over ascending timesteps; draw d_k from the
 * candidate's seed, seed + c, or from noises), zs [K][steps][n] zero,
 * reconstruction [K][n] unset. */
typedef struct {
  double *xts, *zs, *reconstruction;
} SeInversionArrays;
gboolean     se_session_noised (SeSession *s, guint K, guint steps, guint64 seed, const float *noises,
                                const double *a, const double *b, SeInversionArrays *out, GError **error);
/* Replaces the inversion held (the arrays are taken). */
void         se_session_set_inversion (SeSession *s, const SeRecipe *r, guint candidates, guint inv_steps,
                                       SeSchedule *schedule, SeDpmSchedule *dpm, double *xts, double *zs,
                                       double *reconstruction);
/* Whether the edit retraces the inversion instead of running: nothing
 * steers it (no concept; with LEDITS, no target prompt) but a source
 * prompt guided the inversion, which an unsteered edit would then not
 * retrace (LEDITS++: diffusers guides away from that prompt, README quirk
 * 1), changing the picture; retraced, it ends on the inversion's
 * reconstruction and the picture comes back unchanged. */
gboolean     se_session_edit_retraces (const SeRecipe *r);
/* A retraced edit's step i of T: x [candidates][n] and the trace's step i
 * become the inversion's latent there (xts [candidates][per_xts / n][n]),
 * the last step its reconstruction. */
void         se_session_retrace_step (const SeSession *s, guint i, guint T, gsize per_xts, double *x,
                                      double *trace);
/* Ends an edit: decodes the candidates' latents x into out (when not NULL)
 * and keeps x and trace (taken) as the last edit. */
gboolean     se_session_finish_edit (SeSession *s, double *x, double *trace, guint trace_len, SeImage *out,
                                     SeProgressFunc progress, gpointer data, guint total, GCancellable *cancel,
                                     GError **error);

/* ledits-pp.c: LEDITS++'s inversion and edit (se_session_invert/edit with
 * method ledits++). */
gboolean se_ledits_pp_invert (SeSession *s, const SeRecipe *r, guint64 seed, guint candidates,
                              const float *noises, SeProgressFunc progress, gpointer data,
                              GCancellable *cancel, GError **error);
gboolean se_ledits_pp_edit (SeSession *s, const SeRecipe *r, SeImage *out, SeProgressFunc progress,
                            gpointer data, GCancellable *cancel, GError **error);
/* Tests: observer sees every LEDITS++ edit step (NULL: none). */
void     se_session_observe_pp (SeSession *s, SePpObserver observer, gpointer data);
