/* bench_ledits.c: LEDITS phase times at Stable Diffusion 1.5 sizes.
 *
 * Not a pass/fail test.  Random weights of SD 1.5's exact shapes (or
 * --model): encoding, inversion (steps UNet evaluations of batch 2), the
 * edit (steps - skip evaluations of batch 2 + concepts, then the decode), a
 * re-edit with other concept strengths from the same inversion (the cost of
 * moving a slider), and the dialog's preview: a --preview-steps edit of a
 * --preview-size image from its own inversion; then the same phases with
 * LEDITS++ at its default steps (--pp-steps, --pp-skip) and the same
 * concepts, masked by cross-attention and noise, for the two methods side
 * by side.  Each run ends with its peak device memory, weights included.
 * Phases of several steps also say how much of them was not UNet work:
 * their time less that of the replayed evaluations (each from its
 * submission to its end: the UNet and the step's kernels), per step; for an
 * edit that includes its decode.  The host's part of a step is that
 * measured between the first step's end and the last's (no set-up, no
 * decode): what the host adds to the device's work per step.
 * --cache-dir keeps every cache (ours, Mesa's and NVIDIA's shader caches)
 * in DIR: run it twice with an empty DIR for a cold and a warm first edit.
 * With SE_VULKAN_PROFILE=1 each phase's device time per operator kind
 * follows it; --json writes the rows. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench-report.h"
#include "engine.h"

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

typedef struct {
  SeEngine *engine;
  BenchReport *report;
  gint64 start;
  guint64 replays;              /* UNet replays before the phase, */
  double replay_s;              /* and their time */
} Phase;

static void
phase_begin (Phase *p)
{
  se_engine_profile_reset (p->engine);
  se_engine_replay_totals (p->engine, &p->replays, &p->replay_s);
  p->start = g_get_monotonic_time ();
}

/* The steps' ends (progress calls), for the host's part of a step. */
typedef struct {
  SeEngine *engine;
  guint n;
  gint64 first_us, last_us;
  double first_replay_s, last_replay_s;
} StepClock;

static void
step_clock (const char *phase, guint done, guint total, gpointer data)
{
  StepClock *c = data;
  if (strcmp (phase, "decode") == 0)
    return;
  guint64 replays;
  double replay_s;
  se_engine_replay_totals (c->engine, &replays, &replay_s);
  gint64 now = g_get_monotonic_time ();
  if (c->n++ == 0) {
    c->first_us = now;
    c->first_replay_s = replay_s;
  }
  c->last_us = now;
  c->last_replay_s = replay_s;
}

/* ms per step, wall time less the replays', from the first step's end to
 * the last's; 0 with fewer than two steps */
static double
host_ms_per_step (const StepClock *c)
{
  if (c->n < 2)
    return 0.0;
  double wall = (c->last_us - c->first_us) / 1e6, replays = c->last_replay_s - c->first_replay_s;
  return (wall - replays) * 1e3 / (c->n - 1);
}

/* Prints and records a phase's time (and its profile when on); clock, when
 * not NULL, timed its steps. */
static void
phase_end (Phase *p, const char *name, int steps, const StepClock *clock)
{
  double s = seconds_since (p->start);
  guint64 replays;
  double replay_s;
  se_engine_replay_totals (p->engine, &replays, &replay_s);
  replays -= p->replays;
  replay_s -= p->replay_s;
  double rest_ms = steps > 0 ? (s - replay_s) * 1e3 / steps : 0.0;
  double host_ms = clock ? host_ms_per_step (clock) : 0.0;
  if (steps > 0)
    printf ("%-40s %8.2f s  (%.3f s per step; %" G_GUINT64_FORMAT " replays %.2f s, the rest %.1f ms per step, "
            "the host's part of a step %.2f ms)\n", name, s, s / steps, replays, replay_s, rest_ms, host_ms);
  else
    printf ("%-40s %8.2f s\n", name, s);
  bench_report_row (p->report, name, "seconds", s, "steps", (double) steps, "unet_replays", (double) replays,
                    "unet_replay_seconds", replay_s, "rest_ms_per_step", rest_ms, "host_ms_per_step", host_ms, NULL);
  g_autofree char *prof = se_engine_profile_report (p->engine);
  if (prof)
    printf ("%s", prof);
}

static SeImage
test_image (int size)
{
  float *px = g_new (float, 3 * (gsize) size * size);
  for (gsize i = 0; i < 3 * (gsize) size * size; i++)
    px[i] = (float) ((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
  return (SeImage) { (guint) size, (guint) size, px };
}

/* Encode, invert, edit, then re-edit from the same inversion with other
 * concept strengths, at one size; prefix names the rows.  The first three
 * phases are also recorded together as the whole edit. */
static gboolean
run_phases (Phase *ph, SeModel *model, SeRecipe *r, int size, const char *prefix, GError **error)
{
  gint64 whole = g_get_monotonic_time ();
  SeImage img = test_image (size);
  g_autofree float *px = img.data;
  g_autofree char *encode = g_strdup_printf ("%sencode (VAE)", prefix);
  g_autofree char *invert = g_strdup_printf ("%sinversion", prefix);
  g_autofree char *edit = g_strdup_printf ("%sedit + decode", prefix);
  g_autofree char *total = g_strdup_printf ("%swhole edit (encode + invert + edit)", prefix);
  g_autofree char *reedit = g_strdup_printf ("%sre-edit (inversion reused) + decode", prefix);
  g_autofree char *peak = g_strdup_printf ("%speak device memory", prefix);
  se_engine_memory_reset_peak (ph->engine);
  phase_begin (ph);
  g_autoptr (SeSession) s = se_session_new (model, &img, error);
  if (s == NULL)
    return FALSE;
  phase_end (ph, encode, 0, NULL);
  phase_begin (ph);
  StepClock inv_clock = { .engine = ph->engine }, edit_clock = inv_clock, reedit_clock = inv_clock;
  if (!se_session_invert (s, r, 1, 1, NULL, step_clock, &inv_clock, NULL, error))
    return FALSE;
  phase_end (ph, invert, (int) se_recipe_inverted_steps (r), &inv_clock);
  SeImage out = { 0 };
  phase_begin (ph);
  if (!se_session_edit (s, r, &out, step_clock, &edit_clock, NULL, error))
    return FALSE;
  phase_end (ph, edit, (int) (r->steps - r->skip), &edit_clock);
  g_clear_pointer (&out.data, g_free);
  double whole_s = seconds_since (whole);
  printf ("%-40s %8.2f s\n", total, whole_s);
  bench_report_row (ph->report, total, "seconds", whole_s, NULL);
  for (guint c = 0; c < r->concepts->len; c++)
    g_array_index (r->concepts, SeConcept, c).scale *= 0.5;
  phase_begin (ph);
  if (!se_session_edit (s, r, &out, step_clock, &reedit_clock, NULL, error))
    return FALSE;
  phase_end (ph, reedit, (int) (r->steps - r->skip), &reedit_clock);
  g_free (out.data);
  double peak_mib = se_engine_memory_peak (ph->engine) / 1048576.0;
  printf ("%-40s %8.1f MiB (weights included)\n", peak, peak_mib);
  bench_report_row (ph->report, peak, "mib", peak_mib, NULL);
  return TRUE;
}

int
main (int argc, char **argv)
{
  int size = 512, steps = 50, skip = 10, concepts = 2, preview_size = 256, preview_steps = 12;
  int pp_steps = SE_RECIPE_PP_STEPS, pp_skip = SE_RECIPE_PP_SKIP;
  char *model_path = NULL, *tokenizer = NULL, *json = NULL, *cache_dir = NULL;
  GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side in pixels (multiple of 64; default 512)", "PX" },
    { "steps", 'n', 0, G_OPTION_ARG_INT, &steps, "Diffusion steps (default 50)", "N" },
    { "skip", 0, 0, G_OPTION_ARG_INT, &skip, "Unedited leading steps (default 10)", "N" },
    { "concepts", 'c', 0, G_OPTION_ARG_INT, &concepts, "SEGA concepts (default 2)", "N" },
    { "preview-size", 0, 0, G_OPTION_ARG_INT, &preview_size, "Preview image side (default 256; 0: no preview)", "PX" },
    { "preview-steps", 0, 0, G_OPTION_ARG_INT, &preview_steps, "Preview steps (default 12)", "N" },
    { "pp-steps", 0, 0, G_OPTION_ARG_INT, &pp_steps, "LEDITS++ schedule steps (default 34; 0: no LEDITS++ rows)", "N" },
    { "pp-skip", 0, 0, G_OPTION_ARG_INT, &pp_skip, "LEDITS++ steps not run (default 4: 30 inversion steps)", "N" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "A real model instead of random weights", "PATH" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "CLIP tokenizer folder (required with random weights)", "DIR" },
    { "json", 'j', 0, G_OPTION_ARG_FILENAME, &json, "Also write the results to FILE as JSON", "FILE" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_dir, "Keep every cache in DIR (empty: a cold start)", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- LEDITS phase times");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size <= 0 || size % 64 ||
      preview_size < 0 || preview_size % 64 || (!model_path && !tokenizer)) {
    g_printerr ("%s\n", error ? error->message
                              : "--size, --preview-size: multiples of 64; --tokenizer or --model needed");
    return 2;
  }
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (cache_dir) {
    g_mkdir_with_parents (cache_dir, 0700);
    g_autoptr (GDir) d = g_dir_open (cache_dir, 0, NULL);
    gboolean cold = d && g_dir_read_name (d) == NULL;
    g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
    g_setenv ("MESA_SHADER_CACHE_DIR", cache_dir, TRUE);
    g_setenv ("__GL_SHADER_DISK_CACHE_PATH", cache_dir, TRUE);
    printf ("caches in %s: %s\n", cache_dir, cold ? "cold (empty)" : "warm");
  }
  g_autoptr (SeEngine) engine = se_engine_new (NULL, &error);
  if (engine == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_autoptr (BenchReport) report = bench_report_new ("bench-ledits", se_engine_device_name (engine));
  Phase ph = { .engine = engine, .report = report };
  phase_begin (&ph);
  g_autoptr (SeModel) model = model_path ? se_model_load (engine, model_path, tokenizer, &error)
                                         : se_model_new_synthetic (engine, tokenizer, 1, &error);
  if (model == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  printf ("device: %s; kernels %s, activations %s; %s; %dx%d, %d steps, skip %d, %d concepts\n",
          se_engine_device_name (engine), se_engine_kernels (engine), se_engine_precision (engine),
          model_path ? model_path : "random SD 1.5-sized weights", size, size, steps, skip, concepts);
  phase_end (&ph, "load", 0, NULL);

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
  if (!run_phases (&ph, model, r, size, "", &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  if (preview_size > 0) {
    g_autoptr (SeRecipe) preview = se_recipe_with_steps (r, (guint) preview_steps);
    g_autofree char *prefix = g_strdup_printf ("preview %dpx %d steps: ", preview_size, preview_steps);
    if (!run_phases (&ph, model, preview, preview_size, prefix, &error)) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  }
  if (pp_steps > 0) {
    g_autoptr (SeRecipe) pp = se_recipe_copy (r);
    pp->method = SE_METHOD_LEDITS_PP;
    pp->steps = (guint) pp_steps;
    pp->skip = (guint) pp_skip;
    for (guint c = 0; c < pp->concepts->len; c++) {
      SeConcept *k = &g_array_index (pp->concepts, SeConcept, c);
      k->scale = SE_RECIPE_PP_SCALE;
      k->threshold = SE_RECIPE_PP_THRESHOLD;
      k->warmup = SE_RECIPE_PP_WARMUP;
    }
    g_autofree char *prefix = g_strdup_printf ("ledits++ %d steps, skip %d: ", pp_steps, pp_skip);
    if (!se_recipe_validate (pp, &error) || !run_phases (&ph, model, pp, size, prefix, &error)) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  }
  if (!bench_report_write (report, json, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  return 0;
}
