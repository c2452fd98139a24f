/* semantic-edit.c: the GIMP procedure plug-in-semantic-edit (Filters >
 * Semantic Edit...).  The only file that talks to the PDB besides region.c.
 *
 * Arguments: run-mode, image, drawable, model (a diffusers folder or single
 * file; empty: the last used, then SE_MODEL), recipe (the recipe JSON, of
 * either method; empty: the last used), seed.  Returns the new layer.  Last values persist
 * across GIMP sessions in semantic-edit.json in GIMP's profile folder.
 *
 * Every result layer carries its edit (edit-record.h).  Run interactively
 * or with last values on such a layer, the filter re-opens that edit: the
 * dialog (or, with last values, the record itself) works on the source
 * layer under the result layer, and the result's pixels are replaced in
 * one undo group.  Non-interactive runs always make a new edit of the
 * drawable they are given. */
#include <gegl.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <string.h>

#include "dialog.h"
#include "edit-record.h"
#include "engine.h"
#include "last-values.h"
#include "region.h"
#include "render.h"
#include "run-progress.h"

#define PLUG_IN_PROC "plug-in-semantic-edit"
#define PLUG_IN_BINARY "semantic-edit"
#define HELP_DOMAIN "semantic-edit-help"
/* SD 1.x: sides of multiples of 64 (the dialog's region is read before the
 * model is loaded; the final edit reads it again with the model's own). */
#define SD1_SIZE_MULTIPLE 64
#define WORKING_LONG_SIDE 512

/* A file or folder installed beside the plug-in's binary (a per-user
 * install, packaging/install-user.sh, puts the translations and the README
 * there), or NULL. */
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

/* The translations: beside the binary, else where the build installed them. */
static void
bind_translations (void)
{
  g_autofree char *own = beside_binary ("locale");
  bindtextdomain (GETTEXT_PACKAGE, own ? own : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/* The long side the model sees: 512, or SE_WORKING_SIZE (tests, small GPUs). */
static guint
working_long_side (void)
{
  const char *env = g_getenv ("SE_WORKING_SIZE");
  guint64 v = env ? g_ascii_strtoull (env, NULL, 10) : 0;
  return v >= 64 && v <= SE_MAX_WORKING_SIDE ? (guint) v : WORKING_LONG_SIDE;
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

/* What the filter works on: a layer's own pixels (not a mask or a
 * channel) in an RGB or grayscale image.  The menu entry is already
 * insensitive elsewhere; scripts can still call the procedure. */
static gboolean
drawable_usable (gint32 drawable, GError **error)
{
  if (gimp_item_is_layer_mask (drawable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 _("Semantic Edit works on a layer's pixels, and the layer mask is active. "
                   "Click the layer's thumbnail in the Layers dialog and run it again."));
  else if (!gimp_item_is_layer (drawable))
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

/* What a run works on: the source layer, and when an earlier edit is
 * re-opened, its result layer (whose pixels the run replaces). */
typedef struct {
  gint32 image, source;
  gint32 result;                /* -1: the run adds a new layer */
} Target;

static gboolean
read_region (SeRegion *region, const Target *t, guint multiple, guint working, GError **error)
{
  if (t->result >= 0)
    return se_region_read_result (region, t->image, t->source, t->result, multiple, working, error);
  return se_region_read (region, t->image, t->source, multiple, working, error);
}

/* The result into the image, with its record, in one undo group: a new
 * layer, or the re-opened edit's layer updated. */
static gint32
write_result (const Target *t, const SeRegion *region, const SeImage *result, const SeEditRecord *rec,
              GError **error)
{
  gimp_image_undo_group_start (t->image);
  gint32 layer = t->result;
  if (layer >= 0) {
    if (!se_region_replace_layer (region, result, layer, error))
      layer = -1;
  } else {
    g_autofree char *name = se_render_layer_name (rec->recipe);
    layer = se_region_write_layer (region, result, name, error);
  }
  if (layer >= 0 && !se_edit_record_attach (layer, rec, error))
    layer = -1;
  gimp_image_undo_group_end (t->image);
  return layer;
}

/* The whole edit; the image is only touched at the end, inside one undo
 * group.  engine and model: already loaded for rec->model (taken), or NULL. */
static gint32
edit (const Target *t, const SeEditRecord *rec, SeEngine *loaded_engine, SeModel *loaded_model, SeDialog *dialog,
      GError **error)
{
  const SeRecipe *recipe = rec->recipe;
  SeRunProgress progress;
  se_run_progress_init (&progress, recipe, show, dialog);
  gimp_progress_init (_("Semantic Edit: loading the model"));
  se_run_progress_enter (&progress, "load", _("Semantic Edit: loading the model"));
  g_autoptr (SeEngine) engine = loaded_engine ? loaded_engine : se_engine_new (NULL, error);
  if (engine == NULL)
    return -1;
  g_autoptr (SeModel) model = loaded_model ? loaded_model : se_model_load (engine, rec->model, NULL, error);
  if (model == NULL)
    return -1;
  SeRegion region;
  if (!read_region (&region, t, se_model_size_multiple (model), rec->working_size, error))
    return -1;
  SeRenderProgress rp = se_run_progress_render (&progress);
  SeImage result = se_render_region (model, &region.original, &region.work, region.scaled_w, region.scaled_h,
                                     recipe, (guint64) rec->seed, &rp, error);
  gint32 layer = -1;
  if (result.data) {
    se_run_progress_enter (&progress, "write", t->result >= 0 ? _("Semantic Edit: updating the layer")
                                              : _("Semantic Edit: adding the layer"));
    layer = write_result (t, &region, &result, rec, error);
  }
  g_free (result.data);
  se_region_clear (&region);
  gimp_progress_end ();
  return layer;
}

/* What OK in the dialog runs: the final edit with the chosen values. */
typedef struct {
  const Target *target;
  SeEditRecord *rec;
  gint32 layer;
} DialogEdit;

static gboolean
apply_edit (SeDialog *d, const SeDialogValues *chosen, SeEngine *engine, SeModel *model, gpointer data,
            GError **error)
{
  DialogEdit *e = data;
  se_dialog_values_to_record (chosen, e->rec);
  e->rec->source_tattoo = (gint32) gimp_item_get_tattoo (e->target->source);
  e->layer = edit (e->target, e->rec, engine, model, d, error);
  return e->layer >= 0;
}

/* The dialog on the target's region, starting from rec; OK runs the edit
 * while the dialog stays open (a failure shows there, and the dialog goes
 * on).  Returns the layer, or -1: cancelled (error unset) or the region
 * unreadable.  Whatever the dialog showed when it closed becomes the last
 * values, so nothing typed is lost. */
static gint32
run_dialog (const Target *t, SeEditRecord *rec, guint *candidates, gboolean *live, GError **error)
{
  SeRegion region;
  if (!read_region (&region, t, SD1_SIZE_MULTIPLE, rec->working_size, error))
    return -1;
  gimp_ui_init (PLUG_IN_BINARY, FALSE);
  g_autofree char *own_docs = beside_binary ("README.md");
  if (own_docs)
    se_dialog_set_readme (own_docs);
  SeDialogValues initial = { rec->model, rec->recipe, (guint32) rec->seed, *candidates, *live, 0 };
  g_autofree float *coverage = se_region_coverage (&region, t->result, error);
  if (coverage == NULL && *error) {
    se_region_clear (&region);
    return -1;
  }
  SeDialog *d = se_dialog_new (&region.work, region.scaled_w, region.scaled_h, coverage, &initial,
                               gimp_standard_help_func, PLUG_IN_PROC);
  if (t->result >= 0) {
    g_autofree char *name = gimp_item_get_name (t->result);
    se_dialog_set_reopened (d, name);
  }
  gimp_window_set_transient (GTK_WINDOW (se_dialog_window (d)));
  se_region_clear (&region);
  DialogEdit e = { t, rec, -1 };
  SeDialogValues shown = { 0 };
  se_dialog_run (d, apply_edit, &e, &shown);
  *candidates = shown.candidates;
  *live = shown.live_preview;
  se_dialog_values_to_record (&shown, rec);
  SeLastValues now = { rec->model, NULL, rec->seed, *candidates, *live };
  g_autofree char *path = values_path ();
  se_last_values_save (&now, rec->recipe, path);
  se_dialog_values_clear (&shown);
  se_dialog_free (d);
  return e.layer;
}

/* With a result layer active (not from scripts' non-interactive calls):
 * the edit it records, re-opened on its source layer.  FALSE when the
 * drawable carries no record (error unset) or its source is gone. */
static gboolean
reopen (gint32 image, gint32 drawable, Target *t, SeEditRecord *rec, GError **error)
{
  if (!gimp_item_is_layer (drawable) || !se_edit_record_read (drawable, rec, error))
    return FALSE;
  gint32 source = gimp_image_get_layer_by_tattoo (image, (guint) rec->source_tattoo);
  if (source <= 0 || source == drawable) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("The layer this edit was made from is gone (deleted, or merged into another), so the edit "
                   "cannot be re-opened. Select another layer to make a new edit."));
    return FALSE;
  }
  *t = (Target) { image, source, drawable };
  return TRUE;
}

static void
query (void)
{
  static const GimpParamDef args[] = {
    { GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE, "image", "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "Input drawable" },
    { GIMP_PDB_STRING, "model", "Stable Diffusion 1.x model: a diffusers folder or a single .safetensors file (empty: the last used, then $SE_MODEL)" },
    { GIMP_PDB_STRING, "recipe", "Recipe JSON: method (\"ledits\" or \"ledits++\"), steps, skip, src, cfg_src, tar, cfg_tar, concepts, mom_scale, mom_beta, masks, mask_tokens, detail (empty: the last used)" },
    { GIMP_PDB_INT32, "seed", "Seed of the inversion noise" },
  };
  static const GimpParamDef results[] = {
    { GIMP_PDB_LAYER, "layer", "The new layer holding the edit, masked by the selection" },
  };
  gimp_install_procedure (PLUG_IN_PROC,
                          N_("Edit the selection by meaning with Stable Diffusion (LEDITS, LEDITS++)"),
                          "Inverts the selected region into Stable Diffusion's noise space and "
                          "edits it with semantic concepts: with LEDITS (the default) guided by a "
                          "target prompt and SEGA, with LEDITS++ each concept confined to its own "
                          "implicit mask inside the selection; the result is a new layer above "
                          "the active one, masked by the selection.",
                          "Semantic Edit developers", "Semantic Edit developers", "2026",
                          N_("Semantic _Edit..."), "RGB*, GRAY*", GIMP_PLUGIN,
                          G_N_ELEMENTS (args), G_N_ELEMENTS (results), args, results);
  gimp_plugin_menu_register (PLUG_IN_PROC, "<Image>/Filters");
  /* GIMP translates the menu entry and the blurb from our own catalogue */
  g_autofree char *own = beside_binary ("locale");
  gimp_plugin_domain_register (GETTEXT_PACKAGE, own ? own : LOCALEDIR);
  /* and Help opens our page (help/en/index.html, the README) */
  g_autofree char *own_help = beside_binary ("help");
  g_autofree char *help_uri = g_filename_to_uri (own_help ? own_help : SE_DOCDIR "/help", NULL, NULL);
  if (help_uri)
    gimp_plugin_help_register (HELP_DOMAIN, help_uri);
}

static void
run (const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals, GimpParam **return_vals)
{
  static GimpParam values[2];
  bind_translations ();
  gegl_init (NULL, NULL);
  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;

  GimpRunMode mode = param[0].data.d_int32;
  if (nparams < 3 || (mode == GIMP_RUN_NONINTERACTIVE && nparams != 6)) {
    values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
    return;
  }
  gint32 image = param[1].data.d_image, drawable = param[2].data.d_drawable;
  SeLastValues last;
  g_autofree char *last_path = values_path ();
  se_last_values_load (&last, last_path);
  GError *error = NULL;
  Target target = { image, drawable, -1 };
  SeEditRecord rec = { 0 };
  gboolean reopened = mode != GIMP_RUN_NONINTERACTIVE && reopen (image, drawable, &target, &rec, &error);
  if (!reopened && error == NULL) {
    /* a new edit, from the arguments or the last values */
    g_autofree char *json = NULL;
    if (mode == GIMP_RUN_NONINTERACTIVE) {
      rec.model = g_strdup (param[3].data.d_string && *param[3].data.d_string ? param[3].data.d_string : last.model);
      json = g_strdup (param[4].data.d_string && *param[4].data.d_string ? param[4].data.d_string : last.recipe);
      rec.seed = param[5].data.d_int32;
    } else {
      rec.model = g_strdup (last.model);
      json = g_strdup (last.recipe);
      rec.seed = last.seed;
    }
    if (rec.model == NULL || *rec.model == '\0') {
      g_free (rec.model);
      rec.model = g_strdup (g_getenv ("SE_MODEL"));
    }
    rec.working_size = working_long_side ();
    drawable_usable (drawable, &error);
    rec.recipe = json && !error ? se_recipe_from_json (json, &error) : se_recipe_new ();
    if (rec.recipe == NULL && mode == GIMP_RUN_INTERACTIVE) {
      g_clear_error (&error);   /* unreadable last values: the dialog starts from defaults */
      rec.recipe = se_recipe_new ();
    }
  } else if (reopened) {
    drawable_usable (target.source, &error);
  }

  guint candidates = last.candidates;
  gboolean live = last.live_preview;
  gboolean interactive = mode == GIMP_RUN_INTERACTIVE;
  gint32 layer = -1;
  if (error == NULL && interactive) {
    layer = run_dialog (&target, &rec, &candidates, &live, &error);
  } else if (error == NULL) {
    if (rec.model == NULL || *rec.model == '\0')
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No model is set: pass a Stable Diffusion 1.x model path (a diffusers folder "
                     "or a .safetensors file) or set SE_MODEL. See the README's \"Model weights\"."));
    else
      rec.source_tattoo = (gint32) gimp_item_get_tattoo (target.source);
    if (error == NULL)
      layer = edit (&target, &rec, NULL, NULL, NULL, &error);
  }
  /* the dialog shows its edit's failures itself, and closes only on Cancel then */
  gboolean cancelled = interactive && layer < 0 && error == NULL;

  if (cancelled) {              /* the image is untouched */
    values[0].data.d_status = GIMP_PDB_CANCEL;
  } else if (layer < 0) {
    static char *message;
    g_free (message);
    message = g_strdup (error ? error->message : _("Semantic Edit failed."));
    g_clear_error (&error);
    if (mode == GIMP_RUN_INTERACTIVE)
      g_message ("%s", message);
    values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
    values[1].type = GIMP_PDB_STRING;
    values[1].data.d_string = message;
    *nreturn_vals = 2;
  } else {
    if (!interactive) {           /* the dialog saved its values when it closed */
      SeLastValues now = { rec.model, NULL, rec.seed, candidates, live };
      se_last_values_save (&now, rec.recipe, last_path);
    }
    if (mode != GIMP_RUN_NONINTERACTIVE)
      gimp_displays_flush ();
    values[1].type = GIMP_PDB_LAYER;
    values[1].data.d_layer = layer;
    *nreturn_vals = 2;
  }
  se_edit_record_clear (&rec);
  se_last_values_clear (&last);
}

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN ()
