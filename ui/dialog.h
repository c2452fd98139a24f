/* dialog.h: the Semantic Edit dialog (GTK 2 + libgimpwidgets, no PDB): a
 * model chooser, prompts, one row per concept, advanced settings, seed and
 * candidate count; a live low-step preview of the region computed on a
 * worker thread; candidates to compare.  The plug-in opens it, and a test
 * harness builds the same dialog outside GIMP. */
#pragma once

#include "gimp-widgets.h"

#include "edit-record.h"
#include "engine.h"

G_BEGIN_DECLS

typedef struct {
  char *model;                  /* a diffusers folder or a .safetensors file; may be NULL */
  SeRecipe *recipe;
  guint32 seed;
  guint candidates;             /* 1..8 */
  gboolean live_preview;        /* preview every change (off: only Generate) */
  guint candidate;              /* chosen: which candidate (seed already includes it) */
} SeDialogValues;

void se_dialog_values_clear (SeDialogValues *v);
/* The chosen values into the record of the edit they make (model, recipe,
 * seed and candidate copied; the rest of rec kept). */
void se_dialog_values_to_record (const SeDialogValues *v, SeEditRecord *rec);

/* The README the dialog links to (by default the installed one, in the
 * documentation folder); a per-user install has its own. */
void se_dialog_set_readme (const char *path);

typedef struct _SeDialog SeDialog;

/* region: the working image; its top-left visible_w x visible_h pixels are
 * the selection's region, the rest padding.  coverage: the selection's
 * share of each pixel of it (0..1; NULL: everywhere), through which OK puts
 * the result, and so the preview shows it.  help: GIMP's help function
 * (may be NULL outside GIMP). */
SeDialog *se_dialog_new (const SeImage *region, guint visible_w, guint visible_h, const float *coverage,
                         const SeDialogValues *initial, GimpHelpFunc help, const char *help_id);
/* A re-opened edit: the title names its layer, OK reads Update Layer. */
void      se_dialog_set_reopened (SeDialog *d, const char *layer_name);
/* Its window (the plug-in makes it transient for GIMP's). */
GtkWidget *se_dialog_window (SeDialog *d);
/* What OK does with the chosen values (the plug-in's final edit) while the
 * dialog stays open, insensitive.  engine and model: those the preview
 * loaded for chosen->model, handed over so the final edit need not load them
 * again (the callee's to free; NULL when there are none).  FALSE with error
 * set keeps the dialog open with the message shown, nothing typed lost. */
typedef gboolean (*SeDialogApply) (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine,
                                   SeModel *model, gpointer data, GError **error);
/* Runs the dialog until Cancel (FALSE) or an OK whose apply succeeded
 * (TRUE).  Either way values gets what the dialog showed when it closed
 * (seed: the selected candidate's), which the caller keeps as the last
 * values.  The preview's engine work has stopped when it returns. */
gboolean  se_dialog_run (SeDialog *d, SeDialogApply apply, gpointer data, SeDialogValues *values);
/* While apply runs: its phase and fraction (< 0: unchanged) on the
 * dialog's progress bar, drawn at once. */
void      se_dialog_set_progress (SeDialog *d, const char *text, double fraction);
void      se_dialog_free (SeDialog *d);

G_END_DECLS
