/* dialog-private.h: the dialog's state, for dialog.c and its test harness
 * (which drives the widgets and watches the preview jobs). */
#pragma once

#include "candidates.h"
#include "concept-row.h"
#include "dialog.h"
#include "preview-job.h"
#include "preview.h"
#include "toolkit.h"
#include "worker.h"

/* the Reset button's response */
#define SE_DIALOG_RESPONSE_RESET 1

struct _SeDialog {
  GtkWidget *window;
  SeImage region;               /* owned copy */
  guint visible_w, visible_h;

  GtkWidget *model_entry, *browse, *browse_menu, *message_box, *message_label, *model_hint;
  GtkWidget *notebook, *preset, *cost;
  GtkWidget *tar_label, *masks_label;   /* off with their controls: their letters are shared */
  GtkWidget *method, *masks_kind, *src_entry, *tar_entry, *concepts_box, *add_concept;
  SeMethod method_shown;        /* the method the widgets' values are for */
  GPtrArray *rows;              /* SeConceptRow, in order */
  GtkAdjustment *steps, *skip, *cfg_src, *cfg_tar, *warmup, *mom_scale, *mom_beta;
  GtkAdjustment *seed, *count;
  GtkWidget *generate, *progress, *stop, *live, *detail;
  GtkWidget *ok;                /* sensitive once the model in the entry has loaded */
  char *loaded_model;           /* the model the worker holds loaded (SE_PREVIEW_LOADED), or NULL */
  gboolean applying;            /* OK's apply (the final edit) is running */
  SePreview *preview;
  SeCandidates *candidates;
  gboolean setting;             /* values being set from code: no preview jobs */

  /* preview jobs: the newest one is the only one whose events count */
  SeWorker *worker;
  SeEngineState state;          /* the worker's; read here only once it is closed */
  guint preview_side, preview_steps;
  guint debounce;               /* source id, 0 when none */
  gboolean debounce_load;       /* the pending job only loads the model (live preview off) */
  guint job;                    /* id of the newest job */
  GCancellable *cancel;         /* the newest job's */
  gboolean running;
  guint held;                   /* candidates the live preview computes */
  guint32 job_seed;             /* the newest job's first seed */
  guint32 results_seed;         /* and the kept results' */
  double step_seconds_per_pixel; /* a preview's UNet step per candidate and pixel, timed; 0: not yet */
  SeImage *results;             /* the last result's images, as decoded */
  SeImage *sources;             /* and each candidate unchanged (se_session_source) */
  SeImage results_original;     /* the region at the results' size */
  guint n_results;
  double *masks;                /* LEDITS++: the results' concept masks (SePreviewEvent), or NULL */
  guint mask_concepts, mask_w, mask_h;

  /* what happened, for tests */
  guint jobs_done, steps_shown, jobs_failed;
  guint step_masks_shown;       /* steps that came with LEDITS++ masks */
};

/* dialog-layout.c: makes the window and every widget, connected to the
 * handlers below; readme: the file the model hint links to. */
void      se_dialog_build (SeDialog *d, const float *coverage, GimpHelpFunc help, const char *help_id,
                           const char *readme);

/* dialog.c: the widgets' handlers */
void      se_dialog_on_changed (SeDialog *d);               /* any value: a debounced preview */
void      se_dialog_on_model_changed (SeDialog *d);
void      se_dialog_on_method_changed (SeDialog *d);
void      se_dialog_on_add_concept (SeDialog *d);
void      se_dialog_on_preset_chosen (SeDialog *d);
void      se_dialog_on_advanced_changed (SeDialog *d);
void      se_dialog_on_generate (SeDialog *d);
void      se_dialog_on_live_toggled (SeDialog *d);

/* dialog.c */
SeRecipe *se_dialog_recipe (SeDialog *d);        /* the full recipe the widgets describe */
/* OK's sensitivity and tooltip, from the model entry and the loaded model. */
void      se_dialog_update_ok (SeDialog *d);
/* What OK's render costs, beside the preview's (under the progress bar). */
void      se_dialog_update_cost (SeDialog *d);
const char *se_dialog_model_path (SeDialog *d);  /* stripped; "" when none */
void      se_dialog_show_message (SeDialog *d, const char *message, gboolean model_hint);
void      se_dialog_hide_message (SeDialog *d);

/* dialog-jobs.c */
/* A preview job after delay_ms without further requests (slider drags). */
void      se_dialog_request_preview (SeDialog *d, guint delay_ms);
/* Cancels the running job and starts one for the current values now. */
void      se_dialog_start_preview (SeDialog *d);
/* With live preview off: a job that only loads the model in the entry
 * (after delay_ms), so that OK becomes available. */
void      se_dialog_request_load (SeDialog *d, guint delay_ms);
/* A job that only loads the model in the entry, now. */
void      se_dialog_start_load (SeDialog *d);
/* Cancels the running job (the Stop button). */
void      se_dialog_stop_preview (SeDialog *d);
void      se_dialog_show_candidate (SeDialog *d, guint index);
/* Shows the results again after "Keep original detail" changed. */
void      se_dialog_show_results (SeDialog *d);
/* Frees the kept results. */
void      se_dialog_clear_results (SeDialog *d);
