/* semantic-edit.c (GIMP 3): the procedure plug-in-semantic-edit (Filters >
 * Semantic Edit...) as a GimpImageProcedure on one drawable, with the
 * GIMP 2.10 procedure's arguments (model, recipe JSON, seed; last values
 * through GimpProcedureConfig) and result (the new layer, masked by the
 * selection, carrying its edit record, in one undo group).
 *
 * Run interactively it opens the dialog (ui/, built for GTK 3), whose OK
 * runs the edit while it stays open; what the dialog showed when it closed
 * is kept in semantic-edit.json in GIMP's profile (last-values.h), as the
 * GIMP 2.10 plug-in keeps it.  Interactively or with last values on a
 * result layer it re-opens the edit the layer records, on its source
 * layer, replacing the result's pixels in place. */
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <string.h>

#include "dialog.h"
#include "edit-record.h"
#include "last-values.h"
#include "region.h"
#include "render.h"
#include "run-progress.h"

#define PLUG_IN_PROC "plug-in-semantic-edit"
#define PLUG_IN_BINARY "semantic-edit"
#define HELP_DOMAIN "semantic-edit-help"
/* SD 1.x: sides of multiples of 64 (the dialog's region is read before the
 * model is loaded; the final edit reads it again with the model's own),
 * the model seeing 512 on the long side */
#define SD1_SIZE_MULTIPLE 64
#define WORKING_LONG_SIDE 512

typedef struct {
  GimpPlugIn parent_instance;
} SemanticEdit;

typedef struct {
  GimpPlugInClass parent_class;
} SemanticEditClass;

#define SEMANTIC_EDIT_TYPE (semantic_edit_get_type ())
GType semantic_edit_get_type (void) G_GNUC_CONST;
G_DEFINE_TYPE (SemanticEdit, semantic_edit, GIMP_TYPE_PLUG_IN)
GIMP_MAIN (SEMANTIC_EDIT_TYPE)

/* A file or folder installed beside the plug-in's binary (a per-user
 * install puts the translations and the help there), or NULL. */
static char *
beside_binary (const char *name)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  char *path = dir ? g_build_filename (dir, name, NULL) : NULL;
  if (path && !g_file_test (path, G_FILE_TEST_EXISTS))
    g_clear_pointer (&path, g_free);
  return path;
}

/* The long side the model sees: 512, or SE_WORKING_SIZE (tests, small GPUs). */
static guint
working_long_side (void)
{
  const char *env = g_getenv ("SE_WORKING_SIZE");
  guint64 v = env ? g_ascii_strtoull (env, NULL, 10) : 0;
  return v >= 64 && v <= SE_MAX_WORKING_SIDE ? (guint) v : WORKING_LONG_SIDE;
}

/* GIMP 3 takes the catalogues from a folder inside the plug-in's: locale/
 * (a per-user install copies them there, a system install links it to the
 * system's).  Without one our own messages still come from LOCALEDIR. */
static gboolean
set_i18n (GimpPlugIn *plug_in, const gchar *procedure_name, gchar **gettext_domain, gchar **catalog_dir)
{
  g_autofree char *own = beside_binary ("locale");
  if (own == NULL) {
    bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    textdomain (GETTEXT_PACKAGE);
    return FALSE;
  }
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = g_strdup ("locale");
  return TRUE;
}

static GList *
query_procedures (GimpPlugIn *plug_in)
{
  g_autofree char *own_help = beside_binary ("help");
  g_autoptr (GFile) help = g_file_new_for_path (own_help ? own_help : SE_DOCDIR "/help");
  gimp_plug_in_set_help_domain (plug_in, HELP_DOMAIN, help);
  return g_list_append (NULL, g_strdup (PLUG_IN_PROC));
}

/* What the filter works on: a layer's own pixels in an RGB or grayscale
 * image; the same messages as the GIMP 2.10 procedure's. */
static gboolean
drawable_usable (GimpDrawable *drawable, GError **error)
{
  if (GIMP_IS_LAYER_MASK (drawable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("Semantic Edit works on a layer's pixels, and the layer mask is active. "
                   "Click the layer's thumbnail in the Layers dialog and run it again."));
  else if (!GIMP_IS_LAYER (drawable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("Semantic Edit works on a layer, and a channel is active. "
                   "Select a layer in the Layers dialog and run it again."));
  else if (gimp_drawable_is_indexed (drawable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("Semantic Edit does not work on indexed images. "
                   "Convert the image to RGB first (Image > Mode > RGB)."));
  else
    return TRUE;
  return FALSE;
}

/* semantic-edit.json in GIMP's profile folder (last-values.h) */
static char *
values_path (void)
{
  return g_build_filename (gimp_directory (), "semantic-edit.json", NULL);
}

/* GIMP's progress bar and, while its OK runs the edit, the dialog's */
static void
show (const char *text, double fraction, gpointer data)
{
  SeDialog *dialog = data;
  gimp_progress_set_text (text);
  if (fraction >= 0)
    gimp_progress_update (fraction);
  if (dialog)
    se_dialog_set_progress (dialog, text, fraction);
}

/* The whole edit of drawable with rec, into a new layer or, when an edit
 * is re-opened, into its result layer; the image is only touched at the
 * end, in one undo group.  engine and model: already loaded for
 * rec->model (taken), or NULL. */
static GimpLayer *
edit (GimpImage *image, GimpDrawable *drawable, GimpLayer *reopened, SeEditRecord *rec, SeEngine *loaded_engine,
      SeModel *loaded_model, SeDialog *dialog, GError **error)
{
  const SeRecipe *recipe = rec->recipe;
  SeRunProgress progress;
  se_run_progress_init (&progress, recipe, show, dialog);
  gimp_progress_init (_("Semantic Edit: loading the model"));
  se_run_progress_enter (&progress, "load", _("Semantic Edit: loading the model"));
  g_autoptr (SeEngine) engine = loaded_engine ? loaded_engine : se_engine_new (NULL, error);
  if (engine == NULL)
    return NULL;
  g_autoptr (SeModel) model = loaded_model ? loaded_model : se_model_load (engine, rec->model, NULL, error);
  if (model == NULL)
    return NULL;
  SeRegion3 region;
  guint multiple = se_model_size_multiple (model);
  if (!(reopened ? se_region3_read_result (&region, image, drawable, reopened, multiple, rec->working_size, error)
                 : se_region3_read (&region, image, drawable, multiple, rec->working_size, error)))
    return NULL;
  SeRenderProgress rp = se_run_progress_render (&progress);
  SeImage result = se_render_region (model, &region.original, &region.work, region.scaled_w, region.scaled_h,
                                     recipe, (guint64) rec->seed, &rp, error);
  GimpLayer *layer = NULL;
  if (result.data) {
    se_run_progress_enter (&progress, "write", reopened ? _("Semantic Edit: updating the layer")
                                                        : _("Semantic Edit: adding the layer"));
    rec->source_tattoo = (gint32) gimp_item_get_tattoo (GIMP_ITEM (drawable));
    g_autofree char *name = se_render_layer_name (recipe);
    g_autofree char *json = se_edit_record_to_json (rec);
    if (reopened)
      layer = se_region3_replace_layer (&region, &result, reopened, json, error) ? reopened : NULL;
    else
      layer = se_region3_write_layer (&region, &result, name, json, error);
  }
  g_free (result.data);
  se_region3_clear (&region);
  gimp_progress_end ();
  return layer;
}

/* With last values on a result layer: the edit it records, re-opened on
 * its source layer (*source).  FALSE when the layer carries no record
 * (error unset) or it cannot be re-opened (error set). */
static gboolean
reopen (GimpImage *image, GimpDrawable *drawable, GimpDrawable **source, SeEditRecord *rec, GError **error)
{
  if (!GIMP_IS_LAYER (drawable))
    return FALSE;
  GimpParasite *p = gimp_item_get_parasite (GIMP_ITEM (drawable), SE_EDIT_RECORD_PARASITE);
  if (p == NULL)
    return FALSE;
  guint32 size = 0;
  gconstpointer data = gimp_parasite_get_data (p, &size);
  gboolean ok = se_edit_record_from_json (data, size, rec, error);
  gimp_parasite_free (p);
  if (!ok)
    return FALSE;
  GimpLayer *from = gimp_image_get_layer_by_tattoo (image, (guint) rec->source_tattoo);
  if (from == NULL || GIMP_DRAWABLE (from) == drawable) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("The layer this edit was made from is gone (deleted, or merged into another), so the edit "
                   "cannot be re-opened. Select another layer to make a new edit."));
    return FALSE;
  }
  *source = GIMP_DRAWABLE (from);
  return TRUE;
}

/* What a run works on: the source layer and, when an earlier edit is
 * re-opened, its result layer (whose pixels the run replaces). */
typedef struct {
  GimpImage *image;
  GimpDrawable *source;
  GimpLayer *result;            /* NULL: the run adds a new layer */
} Target;

/* What OK in the dialog runs: the final edit with the chosen values. */
typedef struct {
  const Target *target;
  SeEditRecord *rec;
  GimpLayer *layer;
} DialogEdit;

static gboolean
apply_edit (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *model, gpointer data,
            GError **error)
{
  DialogEdit *e = data;
  se_dialog_values_to_record (chosen, e->rec);
  const Target *t = e->target;
  e->layer = edit (t->image, t->source, t->result, e->rec, engine, model, d, error);
  return e->layer != NULL;
}

/* The dialog on the target's region, starting from rec; OK runs the edit
 * while the dialog stays open (a failure shows there, and the dialog goes
 * on).  Returns the layer, or NULL: cancelled (error unset) or the region
 * unreadable.  Whatever the dialog showed when it closed becomes the last
 * values, so nothing typed is lost. */
static GimpLayer *
run_dialog (const Target *t, SeEditRecord *rec, SeLastValues *last, GError **error)
{
  SeRegion3 region;
  if (!(t->result ? se_region3_read_result (&region, t->image, t->source, t->result, SD1_SIZE_MULTIPLE,
                                            rec->working_size, error)
                  : se_region3_read (&region, t->image, t->source, SD1_SIZE_MULTIPLE, rec->working_size, error)))
    return NULL;
  g_autofree float *coverage = se_region3_coverage (&region, t->result, error);
  if (coverage == NULL && *error) {
    se_region3_clear (&region);
    return NULL;
  }
  gimp_ui_init (PLUG_IN_BINARY);
  g_autofree char *own_docs = beside_binary ("README.md");
  if (own_docs)
    se_dialog_set_readme (own_docs);
  SeDialogValues initial = { rec->model, rec->recipe, (guint32) rec->seed, last->candidates, last->live_preview, 0 };
  SeDialog *d = se_dialog_new (&region.work, region.scaled_w, region.scaled_h, coverage, &initial,
                               gimp_standard_help_func, PLUG_IN_PROC);
  if (t->result) {
    g_autofree char *name = gimp_item_get_name (GIMP_ITEM (t->result));
    se_dialog_set_reopened (d, name);
  }
  gimp_window_set_transient (GTK_WINDOW (se_dialog_window (d)));
  se_region3_clear (&region);
  DialogEdit e = { t, rec, NULL };
  SeDialogValues shown = { 0 };
  se_dialog_run (d, apply_edit, &e, &shown);
  last->candidates = shown.candidates;
  last->live_preview = shown.live_preview;
  se_dialog_values_to_record (&shown, rec);
  se_dialog_values_clear (&shown);
  se_dialog_free (d);
  return e.layer;
}

/* A new edit's record: from the arguments (a script) or, interactively,
 * from the dialog's last values; FALSE with error set when the recipe is
 * unreadable (interactively: the dialog starts from the defaults). */
static gboolean
new_record (SeEditRecord *rec, GimpRunMode run_mode, GimpProcedureConfig *config, const SeLastValues *last,
            GError **error)
{
  g_autofree char *model = NULL, *json = NULL;
  gint seed = 0;
  if (run_mode == GIMP_RUN_INTERACTIVE) {
    model = g_strdup (last->model);
    json = g_strdup (last->recipe);
    seed = last->seed;
  } else {
    g_object_get (config, "model", &model, "recipe", &json, "seed", &seed, NULL);
  }
  *rec = (SeEditRecord) { .seed = seed, .working_size = working_long_side () };
  rec->model = g_strdup (model && *model ? model : g_getenv ("SE_MODEL"));
  rec->recipe = se_recipe_from_json (json && *json ? json : "{}", error);
  if (rec->recipe == NULL && run_mode == GIMP_RUN_INTERACTIVE) {
    g_clear_error (error);
    rec->recipe = se_recipe_new ();
  }
  return rec->recipe != NULL;
}

static GimpValueArray *
run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image, GimpDrawable **drawables,
     GimpProcedureConfig *config, gpointer run_data)
{
  gegl_init (NULL, NULL);
  g_autoptr (GError) error = NULL;
  if (drawables == NULL || drawables[0] == NULL || drawables[1] != NULL) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("Semantic Edit works on one layer at a time: select one layer."));
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR, g_steal_pointer (&error));
  }
  gboolean interactive = run_mode == GIMP_RUN_INTERACTIVE;
  g_autofree char *last_path = values_path ();
  SeLastValues last;
  se_last_values_load (&last, last_path);
  GimpLayer *layer = NULL;
  SeEditRecord rec = { 0 };
  Target target = { image, drawables[0], NULL };
  GimpDrawable *source = NULL;
  if (run_mode != GIMP_RUN_NONINTERACTIVE && reopen (image, drawables[0], &source, &rec, &error)) {
    /* the edit the layer records, on its source (not the last values) */
    target = (Target) { image, source, GIMP_LAYER (drawables[0]) };
    drawable_usable (source, &error);
  } else if (error == NULL && new_record (&rec, run_mode, config, &last, &error)) {
    drawable_usable (drawables[0], &error);
  }
  if (error == NULL && interactive) {
    layer = run_dialog (&target, &rec, &last, &error);
  } else if (error == NULL) {
    if (rec.model == NULL || *rec.model == '\0')
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No model is set: pass a Stable Diffusion 1.x model path (a diffusers folder "
                     "or a .safetensors file) or set SE_MODEL. See the README's \"Model weights\"."));
    else
      layer = edit (image, target.source, target.result, &rec, NULL, NULL, NULL, &error);
  }
  /* the dialog keeps what it showed, Cancel included; other runs what they made */
  if (rec.recipe && (interactive || layer)) {
    SeLastValues now = { rec.model, NULL, rec.seed, last.candidates, last.live_preview };
    se_last_values_save (&now, rec.recipe, last_path);
  }
  if (layer) {                  /* GIMP keeps these as the procedure's last values */
    g_autofree char *json = se_recipe_to_json (rec.recipe);
    g_object_set (config, "model", rec.model ? rec.model : "", "recipe", json, "seed", (gint) rec.seed, NULL);
  }
  se_edit_record_clear (&rec);
  se_last_values_clear (&last);
  /* the dialog shows its edit's failures itself, and closes only on Cancel then */
  if (interactive && layer == NULL && error == NULL)
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);
  if (layer == NULL)
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_EXECUTION_ERROR, g_steal_pointer (&error));
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  GimpValueArray *values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS, NULL);
  GIMP_VALUES_SET_LAYER (values, 1, layer);
  return values;
}

static GimpProcedure *
create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  if (strcmp (name, PLUG_IN_PROC) != 0)
    return NULL;
  GimpProcedure *procedure = gimp_image_procedure_new (plug_in, name, GIMP_PDB_PROC_TYPE_PLUGIN, run, NULL, NULL);
  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _("Semantic _Edit..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters");
  gimp_procedure_set_documentation (procedure,
                                    _("Edit the selection by meaning with Stable Diffusion (LEDITS, LEDITS++)"),
                                    "Inverts the selected region into Stable Diffusion's noise space and edits it "
                                    "with semantic concepts: with LEDITS (the default) guided by a target prompt "
                                    "and SEGA, with LEDITS++ each concept confined to its own implicit mask "
                                    "inside the selection; the result is a new layer above the active one, "
                                    "masked by the selection.", PLUG_IN_PROC);
  gimp_procedure_set_attribution (procedure, "Semantic Edit developers", "Semantic Edit developers", "2026");
  gimp_procedure_add_string_argument (procedure, "model", "Model",
                                      "Stable Diffusion 1.x model: a diffusers folder or a single .safetensors file "
                                      "(empty: $SE_MODEL)", "", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (procedure, "recipe", "Recipe",
                                      "Recipe JSON: method (\"ledits\" or \"ledits++\"), steps, skip, src, cfg_src, "
                                      "tar, cfg_tar, concepts, mom_scale, mom_beta, masks, mask_tokens, detail",
                                      "", G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "seed", "Seed", "Seed of the inversion noise", G_MININT32,
                                   G_MAXINT32, 0, G_PARAM_READWRITE);
  gimp_procedure_add_layer_return_value (procedure, "layer", "Layer",
                                         "The new layer holding the edit, masked by the selection", FALSE,
                                         G_PARAM_READWRITE);
  return procedure;
}

static void
semantic_edit_class_init (SemanticEditClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);
  plug_in_class->query_procedures = query_procedures;
  plug_in_class->create_procedure = create_procedure;
  plug_in_class->set_i18n = set_i18n;
}

static void
semantic_edit_init (SemanticEdit *self)
{
}
