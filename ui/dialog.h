/* dialog.h: the Semantic Edit dialog (GTK 2 + libgimpwidgets, no PDB): a
 * model chooser, prompts, one row per concept, advanced settings, seed and
 * candidate count; a live low-step preview of the region computed on a
 * worker thread; candidates to compare.  The plug-in opens it, and a test
 * harness builds the same dialog outside GIMP. */
#pragma once

#include "gimp-widgets.h"

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

/* The README the dialog links to (by default the installed one, in the
 * documentation folder); a per-user install has its own. */
void se_dialog_set_readme (const char *path);

typedef struct _SeDialog SeDialog;

/* region: the working image; its top-left visible_w x visible_h pixels are
 * the selection's region, the rest padding.  help: GIMP's help function
 * (may be NULL outside GIMP). */
SeDialog *se_dialog_new (const SeImage *region, guint visible_w, guint visible_h,
                         const SeDialogValues *initial, GimpHelpFunc help, const char *help_id);
/* Its window (the plug-in makes it transient for GIMP's). */
GtkWidget *se_dialog_window (SeDialog *d);
/* Runs the dialog until OK or Cancel; on OK fills chosen (seed: the selected
 * candidate's) and returns TRUE.  The preview's engine work has stopped when
 * it returns. */
gboolean  se_dialog_run (SeDialog *d, SeDialogValues *chosen);
/* The engine and model the preview loaded for `model`, handed over so the
 * final edit need not load them again; FALSE when it holds none for it. */
gboolean  se_dialog_take_model (SeDialog *d, const char *model, SeEngine **engine,
                                SeModel **loaded);
void      se_dialog_free (SeDialog *d);

G_END_DECLS
