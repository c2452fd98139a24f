/* preview-job.h: the dialog's engine work, run on the worker thread.
 *
 * A job brings the engine state up to date (loads the model when its path
 * changed, encodes the region at preview size, inverts it with the low-step
 * preview recipe, seed and candidate count when those changed) and then
 * edits, reporting progress, a cheap latent preview after every step and the
 * decoded candidates at the end as events in the main loop.  A new job
 * reuses whatever the last one left: after the first, a change of concepts,
 * strengths or target costs only the low-step edit. */
#pragma once

#include "engine.h"
#include "worker.h"

G_BEGIN_DECLS

/* What the worker thread keeps between jobs (touched by one job at a time,
 * and by the main thread only after the worker is closed). */
typedef struct {
  SeEngine *engine;
  SeModel *model;
  char *model_path;
  SeSession *session;           /* the region at preview size */
  guint width, height;          /* the preview size */
  guint64 seed;                 /* of the session's inversion */
  guint candidates;
} SeEngineState;

void se_engine_state_clear (SeEngineState *s);

typedef enum {
  SE_PREVIEW_STATUS,            /* text, fraction (< 0: unknown) */
  SE_PREVIEW_LOADED,            /* text: the model's path, loaded; fraction 1: a load-only job ended */
  SE_PREVIEW_STEP,              /* text, fraction, images: each candidate's latent preview */
  SE_PREVIEW_RESULT,            /* images: each candidate decoded; sources: each unchanged (se_session_source) */
  SE_PREVIEW_FAILED,            /* text; model_failed when loading the model failed */
  SE_PREVIEW_CANCELLED,
} SePreviewEventKind;

typedef struct {
  SePreviewEventKind kind;
  guint job;
  char *text;
  double fraction;
  guint count;
  SeImage *images;
  SeImage *sources;             /* RESULT only, count of them */
  /* STEP and RESULT with LEDITS++: each candidate's concept masks
   * (se_session_concept_mask), [count][mask_concepts][mask_h][mask_w] */
  double *masks;
  guint mask_concepts, mask_w, mask_h;
  gboolean model_failed;
  double seconds_per_step;      /* RESULT: a UNet step of this job (all its candidates); 0: not timed */
} SePreviewEvent;

/* Runs in the main loop. */
typedef void (*SePreviewEventFunc) (const SePreviewEvent *ev, gpointer data);

typedef struct {
  guint id;
  SeEngineState *state;
  char *model_path;
  const SeImage *region;        /* the working image; outlives the worker */
  guint preview_side;           /* long side of the preview, in pixels */
  SeRecipe *recipe;             /* the low-step preview recipe; NULL: only load the model */
  guint64 seed;
  guint candidates;
  GCancellable *cancel;
  SePreviewEventFunc on_event;
  gpointer on_event_data;
} SePreviewJob;

/* SeWorkerJob for an SePreviewJob. */
void se_preview_job_run (SeWorker *worker, gpointer job);
void se_preview_job_free (gpointer job);

G_END_DECLS
