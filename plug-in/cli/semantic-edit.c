/* semantic-edit.c: the headless editor, over engine.h only.
 *
 *   semantic-edit --model PATH --input IN --output OUT.png [options]
 *
 * Loads the model, encodes the image at its working size, inverts it once
 * per candidate seed, applies the recipe's edit and writes the result at
 * the input's size.  Exit status: 0 done, 1 failed (the message says why),
 * 2 bad usage. */
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "image-io.h"
#include "weights/safetensors.h"
#include "weights/safetensors_write.h"

typedef struct {
  char *model, *tokenizer, *input, *output, *params, *source, *target, *noise, *dump, *device;
  char **concepts;
  gint steps, skip, candidates, size;
  gint64 seed;
  gboolean quiet;
} Options;

typedef struct {
  gboolean tty;
} Progress;

static void
on_progress (const char *phase, guint done, guint total, gpointer data)
{
  Progress *p = data;
  if (!p->tty)
    return;
  const int width = 30;
  int filled = total ? (int) (width * done / total) : width;
  char bar[31];
  memset (bar, '#', filled);
  memset (bar + filled, '.', width - filled);
  bar[width] = '\0';
  fprintf (stderr, "\r%-7s [%s] %u/%u ", phase, bar, done, total);
  if (done == total)
    fputc ('\n', stderr);
}

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
  double scale = SE_RECIPE_SCALE;
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
  SeConcept *c = se_recipe_add_concept (r, text);
  c->reverse = reverse;
  c->scale = scale;
  return TRUE;
}

static SeRecipe *
build_recipe (const Options *o, GError **error)
{
  g_autoptr (SeRecipe) r = NULL;
  if (o->params) {
    g_autofree char *json = NULL;
    if (!g_file_get_contents (o->params, &json, NULL, error))
      return NULL;
    r = se_recipe_from_json (json, error);
    if (r == NULL) {
      g_prefix_error (error, "%s: ", o->params);
      return NULL;
    }
  } else {
    r = se_recipe_new ();
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
  if (o->steps >= 0)
    r->steps = (guint) o->steps;
  if (o->skip >= 0)
    r->skip = (guint) o->skip;
  else if (o->steps >= 0 && !o->params)
    r->skip = (guint) (r->steps * SE_RECIPE_SKIP / SE_RECIPE_STEPS);   /* keep the default share */
  return se_recipe_validate (r, error) ? g_steal_pointer (&r) : NULL;
}

static float *
read_noise (const char *path, gsize want, GError **error)
{
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, error);
  const SeSafeTensor *t = f ? se_safetensors_get (f, "noises", error) : NULL;
  if (t == NULL)
    return NULL;
  if (t->numel != want || !se_dtype_is_float (t->dtype)) {
    g_set_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE,
                 _("%s: \"noises\" has %zu values; this image and step count need %zu"),
                 path, t->numel, want);
    return NULL;
  }
  float *v = g_new (float, t->numel);
  se_safetensors_read_f32 (f, t, v);
  return v;
}

static void
add_doubles (SeSafetensorsWriter *w, const char *name, const double *v, guint ndim, const gint64 *shape)
{
  gsize n = 1;
  for (guint i = 0; i < ndim; i++)
    n *= (gsize) shape[i];
  g_autofree float *f = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    f[i] = (float) v[i];
  se_safetensors_writer_add_f32 (w, name, SE_DTYPE_F32, ndim, shape, f);
}

static gboolean
write_dump (const char *path, SeSession *s, const SeImage *decoded, GError **error)
{
  g_autoptr (SeSafetensorsWriter) w = se_safetensors_writer_new ();
  gint64 lh = decoded->height / 8, lw = decoded->width / 8;
  gint64 C = (gint64) se_session_latent_size (s) / (lh * lw);
  guint nx, nz;
  const double *xts = se_session_xts (s, 0, &nx), *zs = se_session_zs (s, 0, &nz);
  add_doubles (w, "x0", se_session_x0 (s), 4, (gint64[]) { 1, C, lh, lw });
  add_doubles (w, "xts", xts, 4, (gint64[]) { nx, C, lh, lw });
  add_doubles (w, "zs", zs, 4, (gint64[]) { nz, C, lh, lw });
  add_doubles (w, "latent", se_session_latent (s, 0), 4, (gint64[]) { 1, C, lh, lw });
  se_safetensors_writer_add_f32 (w, "decoded", SE_DTYPE_F32, 4,
                                 (gint64[]) { 1, 3, decoded->height, decoded->width }, decoded->data);
  return se_safetensors_writer_save (w, path, error);
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

static int
run (const Options *o)
{
  GError *error = NULL;
  g_autoptr (SeRecipe) recipe = build_recipe (o, &error);
  if (recipe == NULL)
    return fail (error);
  SeImage input = { 0 };
  if (!se_image_load (o->input, &input, &error))
    return fail (error);
  g_autofree float *input_data = input.data;

  g_autoptr (SeEngine) engine = se_engine_new (o->device, &error);
  if (engine == NULL)
    return fail (error);
  g_autoptr (SeModel) model = se_model_load (engine, o->model, o->tokenizer, &error);
  if (model == NULL)
    return fail (error);

  guint ww, wh, mult = se_model_size_multiple (model);
  gboolean exact = g_str_has_suffix (o->input, ".safetensors");
  se_image_working_size (input.width, input.height, mult, exact ? G_MAXUINT : (guint) o->size, &ww, &wh);
  if (exact && (ww != input.width || wh != input.height)) {
    g_printerr ("semantic-edit: %s: %u x %u is not a multiple of %u (safetensors input is not resized)\n",
                o->input, input.width, input.height, mult);
    return 1;
  }
  SeImage work = input;
  g_autofree float *work_data = NULL;
  if (ww != input.width || wh != input.height) {
    work = se_image_resize (&input, ww, wh);
    work_data = work.data;
  }
  g_autoptr (SeSession) session = se_session_new (model, &work, &error);
  if (session == NULL)
    return fail (error);
  g_autofree float *noises = NULL;
  if (o->noise && !(noises = read_noise (o->noise, recipe->steps * se_session_latent_size (session), &error)))
    return fail (error);

  Progress progress = { !o->quiet && isatty (2) };
  guint K = (guint) o->candidates;
  g_autofree SeImage *outs = g_new0 (SeImage, K);
  if (!se_session_invert (session, recipe, (guint64) o->seed, K, noises, on_progress, &progress, NULL, &error) ||
      !se_session_edit (session, recipe, outs, on_progress, &progress, NULL, &error))
    return fail (error);
  if (o->dump && !write_dump (o->dump, session, &outs[0], &error))
    return fail (error);
  for (guint k = 0; k < K; k++) {
    const SeImage out = outs[k];
    g_autofree float *out_data = out.data;
    SeImage final = out;
    g_autofree float *final_data = NULL;
    if (out.width != input.width || out.height != input.height) {
      final = se_image_resize (&out, input.width, input.height);
      final_data = final.data;
    }
    g_autofree char *path = candidate_path (o->output, k, K);
    if (!se_image_save_png (&final, path, &error)) {
      for (guint j = k + 1; j < K; j++)
        g_free (outs[j].data);
      return fail (error);
    }
  }
  return 0;
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
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, N_("Stable Diffusion 1.x model: a diffusers folder or a single .safetensors file"), N_("PATH") },
    { "tokenizer", 0, 0, G_OPTION_ARG_FILENAME, &o.tokenizer, N_("CLIP tokenizer folder (default: the model's tokenizer/, or tokenizer/ next to a single file)"), N_("DIR") },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &o.input, N_("Image to edit: PNG, JPEG, TIFF, or a .safetensors holding image [1,3,H,W] in [-1,1]"), N_("IN") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, N_("Result, PNG (with several candidates: OUT-1.png, OUT-2.png, ...)"), N_("OUT.png") },
    { "params", 'p', 0, G_OPTION_ARG_FILENAME, &o.params, N_("Recipe JSON: steps, skip, src, cfg_src, tar, cfg_tar, concepts, mom_scale, mom_beta; options below override it"), N_("RECIPE.json") },
    { "source", 's', 0, G_OPTION_ARG_STRING, &o.source, N_("What the photo shows (inversion prompt)"), N_("TEXT") },
    { "target", 't', 0, G_OPTION_ARG_STRING, &o.target, N_("Target prompt"), N_("TEXT") },
    { "concept", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &o.concepts, N_("Concept to add; \"-TEXT\" removes it; \"TEXT@SCALE\" sets its strength (default 7); repeatable"), N_("TEXT") },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o.steps, N_("Diffusion steps (default 50)"), N_("N") },
    { "skip", 0, 0, G_OPTION_ARG_INT, &o.skip, N_("Leading steps left unedited (default: 30 percent of the steps)"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, N_("Seed of the inversion noise (default 0)"), N_("N") },
    { "candidates", 'k', 0, G_OPTION_ARG_INT, &o.candidates, N_("Number of results, from seeds SEED, SEED+1, ... (default 1)"), N_("K") },
    { "size", 0, 0, G_OPTION_ARG_INT, &o.size, N_("Working long side in pixels for images not already a multiple of 64 (default 512)"), N_("PX") },
    { "noise", 0, 0, G_OPTION_ARG_FILENAME, &o.noise, N_("Take the inversion's noise draws from tensor \"noises\" of this safetensors file (testing)"), N_("FILE") },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &o.dump, N_("Write x0, xts, zs, latent and decoded (working size) of the first candidate to this safetensors file"), N_("FILE") },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &o.device, N_("Vulkan device: index or part of its name (default: SE_VULKAN_DEVICE or the best)"), N_("NAME") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, N_("No progress bar"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("- edit a photo by meaning with LEDITS on Stable Diffusion 1.x"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx, _(
    "Example:\n"
    "  semantic-edit -m ~/models/stable-diffusion-v1-5 -i cat.jpg -o out.png \\\n"
    "    --source \"a photo of a cat\" -c \"wearing glasses\" -c \"-clutter@5\"\n\n"
    "The image is inverted into the model's noise space once per candidate, then\n"
    "edited: the target prompt steers with classifier-free guidance, each concept\n"
    "with semantic guidance (SEGA).  Images whose sides are not multiples of 64 are\n"
    "resized to the working size and the result back to the input size.\n"
    "Environment: SE_VULKAN_DEVICE, SE_VULKAN_VALIDATION, SE_WEIGHTS_FP32."));
  GError *error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("semantic-edit: %s\n", error->message);
    g_error_free (error);
    return 2;
  }
  const char *missing = !o.model ? "--model" : !o.input ? "--input" : !o.output ? "--output" : NULL;
  if (missing) {
    g_printerr (_("semantic-edit: %s is required (see --help)\n"), missing);
    return 2;
  }
  if (o.candidates < 1 || o.candidates > 64 || o.size < 64 || (o.noise && o.candidates != 1)) {
    g_printerr (_("semantic-edit: --candidates takes 1..64 (1 with --noise), --size at least 64\n"));
    return 2;
  }
  int status = run (&o);
  g_strfreev (o.concepts);
  return status;
}
