/* semantic-edit.c: the headless editor, over engine.h only.
 *
 *   semantic-edit --model PATH --input IN --output OUT.png [options]
 *   semantic-edit --model PATH --output-dir DIR [options] IMAGE|DIR ...
 *
 * Loads the model once, then per image: encodes it at its working size
 * (within its mask, if any), inverts it once per candidate seed, applies
 * the recipe's edit and writes the results at the input's size (edit.c; a
 * run of many images: batch.c).  Exit status: 0 done, 1 failed (the
 * messages say why), 2 bad usage, 130 interrupted. */
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "engine.h"

typedef struct {
  char *model, *tokenizer, *input, *output, *output_dir, *mask, *mask_dir, *report, *params, *source, *target;
  char *noise, *dump, *device, *method, *masks;
  char **concepts, **inputs;
  gint steps, skip, candidates, size;
  gint64 seed;
  gboolean quiet, skip_existing, overwrite_inputs, list_devices, version, detail, no_detail;
} Options;

static int
fail (GError *error)
{
  g_printerr ("semantic-edit: %s\n", error->message);
  g_error_free (error);
  return 1;
}

/* "TEXT", "-TEXT" (remove it) or either with "@SCALE". */
static gboolean
add_concept (SeRecipe *r, const char *spec, GError **error)
{
  gboolean reverse = spec[0] == '-';
  g_autofree char *text = g_strdup (spec + (reverse ? 1 : 0));
  char *at = strrchr (text, '@');
  SeConcept *c = se_recipe_add_concept (r, "");
  double scale = c->scale;      /* the method's default */
  if (at) {
    char *end = NULL;
    scale = g_ascii_strtod (at + 1, &end);
    if (end == at + 1 || *end != '\0') {
      g_set_error (error, SE_RECIPE_ERROR, 0, _("--concept \"%s\": \"%s\" is not a number"), spec, at + 1);
      return FALSE;
    }
    *at = '\0';
  }
  g_strstrip (text);
  g_free (c->prompt);
  c->prompt = g_strdup (text);
  c->reverse = reverse;
  c->scale = scale;
  return TRUE;
}

static SeRecipe *
build_recipe (const Options *o, GError **error)
{
  g_autoptr (SeRecipe) r = NULL;
  SeMethod method = SE_METHOD_LEDITS;
  if (o->method && !se_method_from_name (o->method, &method)) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("--method \"%s\": expected ledits or ledits++"), o->method);
    return NULL;
  }
  if (o->params) {
    g_autofree char *json = NULL;
    if (!g_file_get_contents (o->params, &json, NULL, error))
      return NULL;
    r = se_recipe_from_json (json, error);
    if (r == NULL) {
      g_prefix_error (error, "%s: ", o->params);
      return NULL;
    }
    if (o->method)
      r->method = method;
  } else {
    r = se_recipe_new_for (method);
  }
  if (o->masks) {
    static const struct { const char *name; SeMaskMode mode; } modes[] = {
      { "intersect", SE_MASKS_INTERSECT }, { "cross-attention", SE_MASKS_CROSS_ATTENTION }, { "noise", SE_MASKS_NOISE },
    };
    guint i = 0;
    while (i < G_N_ELEMENTS (modes) && strcmp (o->masks, modes[i].name) != 0)
      i++;
    if (i == G_N_ELEMENTS (modes)) {
      g_set_error (error, SE_RECIPE_ERROR, 0, _("--masks \"%s\": expected intersect, cross-attention or noise"),
                   o->masks);
      return NULL;
    }
    r->masks = modes[i].mode;
  }
  if (o->source) {
    g_free (r->src);
    r->src = g_strdup (o->source);
  }
  if (o->target) {
    g_free (r->tar);
    r->tar = g_strdup (o->target);
  }
  for (guint i = 0; o->concepts && o->concepts[i]; i++)
    if (!add_concept (r, o->concepts[i], error))
      return NULL;
  /* the options' own names, before the recipe's checks name its keys */
  if (o->steps >= 0 && (o->steps < 2 || o->steps > 1000)) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("--steps %d: expected 2 to 1000"), o->steps);
    return NULL;
  }
  if (o->steps >= 0)
    r->steps = (guint) o->steps;
  if (o->skip >= (gint) r->steps) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("--skip %d: expected fewer than the %u steps"), o->skip, r->steps);
    return NULL;
  }
  if (o->skip >= 0)
    r->skip = (guint) o->skip;
  else if (o->steps >= 0 && !o->params) {
    /* keep the method's default share */
    g_autoptr (SeRecipe) d = se_recipe_new_for (r->method);
    r->skip = (guint) (r->steps * d->skip / d->steps);
  }
  if (o->detail || o->no_detail)
    r->detail = o->detail;
  return se_recipe_validate (r, error) ? g_steal_pointer (&r) : NULL;
}

static char *
candidate_path (const char *output, guint k, guint count)
{
  if (count == 1)
    return g_strdup (output);
  const char *dot = strrchr (output, '.');
  gsize stem = dot && !strchr (dot, '/') ? (gsize) (dot - output) : strlen (output);
  return g_strdup_printf ("%.*s-%u%s", (int) stem, output, k + 1, output + stem);
}

/* One job per input: with --output, the one input's candidates as OUT or
 * OUT-K; with --output-dir, named by batch.h. */
static GPtrArray *
build_jobs (const Options *o, GError **error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  if (o->input)
    g_ptr_array_add (args, o->input);
  for (guint i = 0; o->inputs && o->inputs[i]; i++)
    g_ptr_array_add (args, o->inputs[i]);
  g_ptr_array_add (args, NULL);
  g_autoptr (GPtrArray) inputs = se_cli_list_inputs ((char **) args->pdata, error);
  if (inputs == NULL)
    return NULL;
  if (inputs->len == 0 || (o->output && inputs->len != 1)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 o->output ? _("--output takes one input image; for several use --output-dir")
                           : _("no input images"));
    return NULL;
  }
  GPtrArray *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) se_cli_job_free);
  for (guint i = 0; i < inputs->len; i++) {
    SeCliJob *job = g_new0 (SeCliJob, 1);
    job->input = g_strdup (inputs->pdata[i]);
    job->mask = o->mask_dir ? se_cli_find_mask (o->mask_dir, job->input) : g_strdup (o->mask);
    if (o->output) {
      job->outputs = g_ptr_array_new_with_free_func (g_free);
      for (guint k = 0; k < (guint) o->candidates; k++)
        g_ptr_array_add (job->outputs, candidate_path (o->output, k, (guint) o->candidates));
    } else {
      job->outputs = se_cli_batch_outputs (o->output_dir, job->input, (guint) o->candidates, (guint64) o->seed);
    }
    g_ptr_array_add (jobs, job);
  }
  return jobs;
}

static int
run (const Options *o)
{
  GError *error = NULL;
  g_autoptr (SeRecipe) recipe = build_recipe (o, &error);
  if (recipe == NULL)
    return fail (error);
  if (!se_recipe_changes (recipe))
    g_printerr (_("semantic-edit: no concept and no target prompt: the results are the photos as the model "
                  "reconstructs them, not edits\n"));
  g_autoptr (GPtrArray) jobs = build_jobs (o, &error);
  if (jobs == NULL)
    return fail (error);
  if (o->output_dir && g_mkdir_with_parents (o->output_dir, 0777) != 0) {
    g_printerr (_("semantic-edit: cannot create %s: %s\n"), o->output_dir, g_strerror (errno));
    return 1;
  }
  g_autoptr (SeEngine) engine = se_engine_new (o->device, &error);
  if (engine == NULL)
    return fail (error);
  g_autoptr (SeModel) model = se_model_load (engine, o->model, o->tokenizer, &error);
  if (model == NULL)
    return fail (error);

  SeCliEdit e = { .model = model, .recipe = recipe, .size = (guint) o->size, .seed = (guint64) o->seed,
                  .candidates = (guint) o->candidates, .noise = o->noise, .dump = o->dump };
  g_autofree char *report = o->report ? g_strdup (o->report)
                          : o->output_dir ? g_build_filename (o->output_dir, "report.json", NULL) : NULL;
  SeCliBatchOptions bo = { .skip_existing = o->skip_existing, .overwrite_inputs = o->overwrite_inputs,
                           .report = report, .quiet = o->quiet };
  return se_cli_run_batch (&e, jobs, &bo);
}

/* What the parsed options ask for: a listing, or a checked run. */
static int
start (Options *o)
{
  GError *error = NULL;
  if (o->version) {
    printf ("semantic-edit %s\n", SE_VERSION);
    return 0;
  }
  if (o->list_devices) {
    g_autofree char *list = se_engine_list_devices (&error);
    if (list == NULL)
      return fail (error);
    fputs (list, stdout);
    return 0;
  }
  /* the GIMP procedure's variable works here too */
  if (o->model == NULL && g_getenv ("SE_MODEL") && *g_getenv ("SE_MODEL"))
    o->model = g_strdup (g_getenv ("SE_MODEL"));
  const char *missing = !o->model ? "--model (or SE_MODEL)" : !o->input && !o->inputs ? "--input"
                      : !o->output && !o->output_dir ? "--output" : NULL;
  if (missing) {
    g_printerr (_("semantic-edit: %s is required (see --help)\n"), missing);
    return 2;
  }
  if (o->candidates < 1 || o->candidates > 64 || (o->noise && o->candidates != 1)) {
    g_printerr (_("semantic-edit: --candidates takes 1..64 (1 with --noise)\n"));
    return 2;
  }
  if (o->size < 64 || o->size > SE_MAX_WORKING_SIDE) {
    g_printerr (_("semantic-edit: --size takes %d..%d pixels\n"), 64, SE_MAX_WORKING_SIDE);
    return 2;
  }
  if ((o->output && o->output_dir) || (o->mask && o->mask_dir) || (o->detail && o->no_detail) ||
      ((o->noise || o->dump) && !o->output)) {
    g_printerr (_("semantic-edit: --output and --output-dir, --mask and --mask-dir, --detail and --no-detail "
                  "exclude each other; --noise and --dump need --output\n"));
    return 2;
  }
  return run (o);
}

static void
options_clear (Options *o)
{
  char **strings[] = { &o->model, &o->tokenizer, &o->input, &o->output, &o->output_dir, &o->mask, &o->mask_dir,
                       &o->report, &o->params, &o->source, &o->target, &o->noise, &o->dump, &o->device,
                       &o->method, &o->masks };
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&o->concepts, g_strfreev);
  g_clear_pointer (&o->inputs, g_strfreev);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  Options o = { .steps = -1, .skip = -1, .candidates = 1, .size = 512 };
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, N_("Stable Diffusion 1.x model: a diffusers folder or a single .safetensors file (default: SE_MODEL)"), N_("PATH") },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &o.tokenizer, N_("CLIP tokenizer folder (default: the model's tokenizer/, or tokenizer/ next to a single file)"), N_("DIR") },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &o.input, N_("Image to edit: PNG, JPEG, TIFF, or a .safetensors holding image [1,3,H,W] in [-1,1]"), N_("IN") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, N_("Result, PNG (with several candidates: OUT-1.png, OUT-2.png, ...)"), N_("OUT.png") },
    { "output-dir", 'O', 0, G_OPTION_ARG_FILENAME, &o.output_dir, N_("Edit every image given (files or folders) into this folder: NAME.png, or NAME-cK-seedS.png per candidate, and report.json"), N_("DIR") },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &o.mask, N_("Edit only where this image is white (gray: partly; black: kept exactly), like a selection"), N_("MASK") },
    { "mask-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.mask_dir, N_("Per-image masks: the file in DIR with the image's name (any image extension)"), N_("DIR") },
    { "skip-existing", 0, 0, G_OPTION_ARG_NONE, &o.skip_existing, N_("Skip images whose results exist (resume a batch)"), NULL },
    { "overwrite-inputs", 0, 0, G_OPTION_ARG_NONE, &o.overwrite_inputs, N_("Let results replace input images (refused by default)"), NULL },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &o.report, N_("Write the per-image JSON report here (default with --output-dir: DIR/report.json)"), N_("FILE") },
    { "params", 'p', 0, G_OPTION_ARG_FILENAME, &o.params, N_("Recipe JSON: method, steps, skip, src, cfg_src, tar, cfg_tar, concepts, mom_scale, mom_beta, masks, mask_tokens, detail; options below override it"), N_("RECIPE.json") },
    { "method", 0, 0, G_OPTION_ARG_STRING, &o.method, N_("Edit method: ledits (the default: DDPM inversion, SEGA concepts) or ledits++ (DPM-Solver++ inversion, each concept confined by an implicit mask)"), N_("METHOD") },
    { "masks", 0, 0, G_OPTION_ARG_STRING, &o.masks, N_("LEDITS++ concept masks: intersect (cross-attention and noise, the default), cross-attention or noise"), N_("KIND") },
    { "source", 's', 0, G_OPTION_ARG_STRING, &o.source, N_("What the photo shows (inversion prompt)"), N_("TEXT") },
    { "target", 't', 0, G_OPTION_ARG_STRING, &o.target, N_("Target prompt"), N_("TEXT") },
    { "concept", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &o.concepts, N_("Concept to add; \"-TEXT\" removes it; \"TEXT@SCALE\" sets its strength (default 7, LEDITS++ 5); repeatable"), N_("TEXT") },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o.steps, N_("Diffusion steps (default 50, LEDITS++ 34)"), N_("N") },
    { "skip", 0, 0, G_OPTION_ARG_INT, &o.skip, N_("Leading steps left unedited (default: 30 percent of the steps, LEDITS++ 12 percent)"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, N_("Seed of the inversion noise (default 0)"), N_("N") },
    { "candidates", 'k', 0, G_OPTION_ARG_INT, &o.candidates, N_("Number of results, from seeds SEED, SEED+1, ... (default 1)"), N_("K") },
    { "detail", 0, 0, G_OPTION_ARG_NONE, &o.detail, N_("Keep the photo's own detail: add the edit's change to the original pixels at full resolution (the default, or the recipe's \"detail\")"), NULL },
    { "no-detail", 0, 0, G_OPTION_ARG_NONE, &o.no_detail, N_("Return the edit itself, decoded at the working size and scaled back"), NULL },
    { "size", 0, 0, G_OPTION_ARG_INT, &o.size, N_("Working long side in pixels for images not already a multiple of 64 (default 512)"), N_("PX") },
    { "noise", 0, 0, G_OPTION_ARG_FILENAME, &o.noise, N_("Take the inversion's noise draws from tensor \"noises\" or \"draws\" of this safetensors file (testing)"), N_("FILE") },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &o.dump, N_("Write x0, xts, zs, latent and decoded (working size) of the first candidate to this safetensors file, and with LEDITS++ its concept masks (the share of steps each latent position was masked)"), N_("FILE") },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &o.device, N_("Vulkan device: index or part of its name (default: SE_VULKAN_DEVICE or the best)"), N_("NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version, N_("Print the version and exit"), NULL },
    { "list-devices", 0, 0, G_OPTION_ARG_NONE, &o.list_devices, N_("List the Vulkan devices (the indices --device and SE_VULKAN_DEVICE take) and exit"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, N_("No progress line and no summary"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.inputs, NULL, N_("[IMAGE|DIR...]") },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("- edit photos by meaning with LEDITS or LEDITS++ on Stable Diffusion 1.x"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx, _(
    "Example:\n"
    "  semantic-edit -m ~/models/stable-diffusion-v1-5 -i cat.jpg -o out.png \\\n"
    "    --source \"a photo of a cat\" -c \"wearing glasses\" -c \"-clutter@5\"\n\n"
    "  semantic-edit -m model.safetensors -p recipe.json -O out/ --mask-dir masks/ photos/\n\n"
    "Each image is inverted into the model's noise space once per candidate, then\n"
    "edited: the target prompt steers with classifier-free guidance, each concept\n"
    "with semantic guidance (SEGA).  Images whose sides are not multiples of 64 are\n"
    "resized to the working size and the result back to the input size.  Ctrl+C\n"
    "stops within one step, keeps every finished result and writes the report.\n"
    "Environment: SE_MODEL, SE_VULKAN_DEVICE, SE_VULKAN_VALIDATION, SE_WEIGHTS_FP32."));
  GError *error = NULL;
  int status = 2;
  if (g_option_context_parse (ctx, &argc, &argv, &error)) {
    status = start (&o);
  } else {
    g_printerr ("semantic-edit: %s\n", error->message);
    g_error_free (error);
  }
  options_clear (&o);
  return status;
}
