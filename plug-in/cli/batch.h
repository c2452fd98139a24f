/* batch.h: many images through one loaded model.
 *
 * Each input is edited on its own (edit.h); one that fails (unreadable, too
 * small, a mask of the wrong size) is reported and the run goes on.  Ctrl+C
 * (or SIGTERM) cancels the image being edited within one UNet evaluation;
 * nothing half-written is left (results are written whole or not at all),
 * and the run reports what it did.  The report (JSON) lists per image:
 * input, mask, status ("done", "unchanged": an all-black mask, "skipped":
 * its results existed with --skip-existing, "failed", "cancelled" or "not
 * run"), message, seeds, outputs and seconds. */
#pragma once

#include "edit.h"
#include "progress.h"

G_BEGIN_DECLS

typedef struct {
  char *input;
  char *mask;                   /* or NULL */
  GPtrArray *outputs;           /* char*, one per candidate */
} SeCliJob;

void se_cli_job_free (SeCliJob *job);

/* The images named by args: files as given, directories' image files
 * (.png, .jpg, .jpeg, .tif, .tiff, .webp, .bmp) in name order. */
GPtrArray *se_cli_list_inputs (char **args, GError **error);
/* The file in dir named like input with an image extension, or NULL. */
char      *se_cli_find_mask (const char *dir, const char *input);
/* out_dir/STEM.png, or with several candidates out_dir/STEM-cK-seedS.png
 * (K from 1; S the candidate's seed). */
GPtrArray *se_cli_batch_outputs (const char *out_dir, const char *input, guint candidates, guint64 seed);

typedef struct {
  gboolean skip_existing;
  gboolean overwrite_inputs;    /* else a result that is an input file (by device and inode) is refused */
  const char *report;           /* JSON report path, or NULL */
  gboolean quiet;
} SeCliBatchOptions;

/* Runs the jobs (SeCliJob*) with e's model and recipe (e->cancel and the
 * progress fields are set here).  Returns the exit status: 0 when every
 * image was done, unchanged or skipped, 1 when any failed, 130 when
 * interrupted. */
int se_cli_run_batch (SeCliEdit *e, GPtrArray *jobs, const SeCliBatchOptions *o);

G_END_DECLS
