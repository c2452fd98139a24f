/* bench_ledits.c: LEDITS phase times at Stable Diffusion 1.5 sizes.
 *
 * Not a pass/fail test.  Random weights of SD 1.5's exact shapes (or
 * --model): encoding, inversion (steps UNet evaluations of batch 2), the
 * edit (steps - skip evaluations of batch 2 + concepts, then the decode) and
 * a re-edit with other concept strengths from the same inversion: the cost
 * of moving a slider. */
#include <stdio.h>

#include "engine.h"

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int argc, char **argv)
{
  int size = 512, steps = 50, skip = 10, concepts = 2;
  char *model_path = NULL, *tokenizer = NULL;
  GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side in pixels (multiple of 64; default 512)", "PX" },
    { "steps", 'n', 0, G_OPTION_ARG_INT, &steps, "Diffusion steps (default 50)", "N" },
    { "skip", 0, 0, G_OPTION_ARG_INT, &skip, "Unedited leading steps (default 10)", "N" },
    { "concepts", 'c', 0, G_OPTION_ARG_INT, &concepts, "SEGA concepts (default 2)", "N" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "A real model instead of random weights", "PATH" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "CLIP tokenizer folder (required with random weights)", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- LEDITS phase times");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size <= 0 || size % 64 ||
      (!model_path && !tokenizer)) {
    g_printerr ("%s\n", error ? error->message : "--size: a multiple of 64; --tokenizer or --model needed");
    return 2;
  }
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autoptr (SeEngine) engine = se_engine_new (NULL, &error);
  if (engine == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (SeModel) model = model_path ? se_model_load (engine, model_path, tokenizer, &error)
                                         : se_model_new_synthetic (engine, tokenizer, 1, &error);
  if (model == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("device: %s; %s; %dx%d, %d steps, skip %d, %d concepts\n", se_engine_device_name (engine),
          model_path ? model_path : "random SD 1.5-sized weights", size, size, steps, skip, concepts);
  printf ("%-34s %8.2f s\n", "load", seconds_since (t0));

  g_autoptr (SeRecipe) r = se_recipe_new ();
  r->steps = (guint) steps;
  r->skip = (guint) skip;
  g_free (r->src);
  r->src = g_strdup ("a photo of a cat");
  const char *texts[] = { "wearing glasses", "sunshine", "snowy", "smiling" };
  for (int c = 0; c < concepts; c++)
    se_recipe_add_concept (r, texts[c % 4])->reverse = c % 2;
  if (!se_recipe_validate (r, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_autofree float *px = g_new (float, 3 * (gsize) size * size);
  for (gsize i = 0; i < 3 * (gsize) size * size; i++)
    px[i] = (float) ((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
  SeImage img = { (guint) size, (guint) size, px };

  t0 = g_get_monotonic_time ();
  g_autoptr (SeSession) s = se_session_new (model, &img, &error);
  if (s == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("%-34s %8.2f s\n", "encode (VAE)", seconds_since (t0));
  t0 = g_get_monotonic_time ();
  if (!se_session_invert (s, r, 1, 1, NULL, NULL, NULL, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  double invert = seconds_since (t0);
  printf ("%-34s %8.2f s  (%.3f s per step)\n", "inversion", invert, invert / steps);
  SeImage out = { 0 };
  t0 = g_get_monotonic_time ();
  if (!se_session_edit (s, r, &out, NULL, NULL, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("%-34s %8.2f s\n", "edit + decode", seconds_since (t0));
  g_free (out.data);
  for (guint c = 0; c < r->concepts->len; c++)
    g_array_index (r->concepts, SeConcept, c).scale *= 0.5;
  t0 = g_get_monotonic_time ();
  if (!se_session_edit (s, r, &out, NULL, NULL, NULL, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("%-34s %8.2f s\n", "re-edit (inversion reused) + decode", seconds_since (t0));
  g_free (out.data);
  return 0;
}
