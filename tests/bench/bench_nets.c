/* bench_nets.c: per-network time and peak activation memory at Stable
 * Diffusion 1.5 sizes.
 *
 * Not a pass/fail test.  By default the networks get SD 1.5's exact shapes
 * with seeded random weights (no download needed); --model measures a real
 * model instead.  For each batch size: the text encoder on 77 tokens, one
 * UNet evaluation on a size/8 latent with a 77-token context, the VAE encoder
 * and decoder at size x size.  Time is wall time of one submitted
 * evaluation after a warm-up; memory is the device memory the evaluation
 * allocated beyond what was held before it (weights are reported apart).
 * --dry-run records each evaluation and drops it unrun: the memory figures
 * at full size in seconds, even on a CPU device where running would take
 * hours.  Each line also counts the evaluation's dispatches, and a dry run
 * lists them per shader variant. */
#include <stdio.h>
#include <string.h>

#include "bench-report.h"
#include "nets/clip.h"
#include "nets/unet.h"
#include "nets/vae.h"

typedef struct {
  SeGpu *gpu;
  int reps;
  gboolean dry_run;
  BenchReport *report;
} Ctx;

static double
mib (VkDeviceSize b)
{
  return (double) b / (1 << 20);
}

/* fp32 for the VAE, the device's activation type for the UNet (vae.h). */
static SeTensor *
random_tensor (SeGpu *gpu, GRand *rng, SeDType dtype, guint ndim, const gint64 *shape, double scale,
               GError **error)
{
  SeTensor *t = se_tensor_new_typed (gpu, dtype, ndim, shape, error);
  if (t == NULL)
    return NULL;
  g_autofree float *v = g_new (float, t->numel);
  for (gsize i = 0; i < t->numel; i++)
    v[i] = (float) (scale * g_rand_double_range (rng, -1, 1));
  if (!se_tensor_upload (t, v, error)) {
    se_tensor_free (t);
    return NULL;
  }
  return t;
}

typedef SeTensor *(*RunFunc) (gpointer net, gpointer data, GError **error);

/* Runs once to warm up (pipelines), then reps times; prints one line. */
static gboolean
measure (Ctx *c, const char *what, guint batch, RunFunc run, gpointer net, gpointer data)
{
  g_autoptr (GError) error = NULL;
  if (c->dry_run) {
    VkDeviceSize held = se_memory_in_use (c->gpu);
    se_memory_reset_peak (c->gpu);
    SeCmdStats before = se_cmd_stats (c->gpu);
    SeTensor *out = run (net, data, &error);
    SeCmdStats after = se_cmd_stats (c->gpu);
    guint64 dispatches = after.dispatches - before.dispatches;
    se_cmd_discard (c->gpu);
    if (out == NULL) {
      printf ("%-16s batch %u: failed: %s\n", what, batch, error->message);
      return FALSE;
    }
    se_tensor_free (out);
    printf ("%-16s batch %u: (not run)       peak activations %8.1f MiB  %5" G_GUINT64_FORMAT " dispatches\n",
            what, batch, mib (se_memory_peak (c->gpu) - held), dispatches);
    for (guint s = 0; s < SE_SHADER_COUNT; s++)
      if (after.by_shader[s] > before.by_shader[s])
        printf ("    %-28s %5" G_GUINT64_FORMAT "\n", se_shader_name ((SeShaderId) s),
                after.by_shader[s] - before.by_shader[s]);
    bench_report_row (c->report, what, "batch", (double) batch,
                      "peak_activations_mib", mib (se_memory_peak (c->gpu) - held),
                      "dispatches", (double) dispatches, NULL);
    return TRUE;
  }
  SeTensor *out = run (net, data, &error);
  if (out == NULL || !se_cmd_submit (c->gpu, &error)) {
    printf ("%-16s batch %u: failed: %s\n", what, batch, error->message);
    return FALSE;
  }
  se_tensor_free (out);
  VkDeviceSize held = se_memory_in_use (c->gpu);
  se_memory_reset_peak (c->gpu);
  se_cmd_profile_reset (c->gpu);
  guint64 before = se_cmd_stats (c->gpu).dispatches;
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < c->reps; i++) {
    out = run (net, data, &error);
    if (out == NULL || !se_cmd_submit (c->gpu, &error)) {
      printf ("%-16s batch %u: failed: %s\n", what, batch, error->message);
      return FALSE;
    }
    se_tensor_free (out);
  }
  double ms = (g_get_monotonic_time () - start) / 1e3 / c->reps;
  guint64 dispatches = (se_cmd_stats (c->gpu).dispatches - before) / (guint64) c->reps;
  printf ("%-16s batch %u: %10.1f ms   peak activations %8.1f MiB  %5" G_GUINT64_FORMAT " dispatches\n", what,
          batch, ms, mib (se_memory_peak (c->gpu) - held), dispatches);
  bench_report_row (c->report, what, "batch", (double) batch, "ms", ms,
                    "peak_activations_mib", mib (se_memory_peak (c->gpu) - held),
                    "dispatches", (double) dispatches, NULL);
  g_autofree char *report = se_cmd_profile_report (c->gpu);
  if (report)
    printf ("%s", report);
  fflush (stdout);
  return TRUE;
}

typedef struct {
  const gint32 *ids;
  guint batch;
} ClipArgs;

static SeTensor *
run_clip (gpointer net, gpointer data, GError **error)
{
  ClipArgs *a = data;
  return se_clip_forward (net, a->ids, a->batch, NULL, error);
}

typedef struct {
  SeTensor *sample, *timesteps, *context;
  SeUNetKV *kv;                 /* the context's, made once like a LEDITS run does */
} UNetArgs;

static SeTensor *
run_unet (gpointer net, gpointer data, GError **error)
{
  UNetArgs *a = data;
  return se_unet_forward_kv (net, a->sample, a->timesteps, a->kv, NULL, NULL, error);
}

static SeTensor *
run_vae_encode (gpointer net, gpointer data, GError **error)
{
  return se_vae_encode (net, data, error);
}

static SeTensor *
run_vae_decode (gpointer net, gpointer data, GError **error)
{
  return se_vae_decode (net, data, error);
}

int
main (int argc, char **argv)
{
  int size = 512, reps = 1;
  gboolean dry_run = FALSE;
  char *batches = NULL, *model_path = NULL, *tokenizer = NULL, *weights = NULL, *only = NULL, *json = NULL;
  GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side in pixels (multiple of 64; default 512)", "PX" },
    { "batch", 'b', 0, G_OPTION_ARG_STRING, &batches, "Comma-separated batch sizes (default 1,4)", "LIST" },
    { "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Timed evaluations per measurement (default 1)", "N" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "A real model instead of random weights", "PATH" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer folder for --model", "DIR" },
    { "weights", 'w', 0, G_OPTION_ARG_STRING, &weights, "fp16 or fp32 weights on the device (default: fp16 where supported)", "TYPE" },
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Comma-separated subset of clip,unet,vae", "LIST" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Record and drop each evaluation: memory only", NULL },
    { "json", 'j', 0, G_OPTION_ARG_FILENAME, &json, "Also write the results to FILE as JSON", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- network time and memory at SD 1.5 sizes");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size <= 0 || size % 64 || reps <= 0) {
    g_printerr ("%s\n", error ? error->message : "--size must be a positive multiple of 64, --reps positive");
    return 2;
  }
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autoptr (SeGpu) gpu = se_gpu_new (NULL, &error);
  if (gpu == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  SeDType wtype = weights == NULL ? se_weights_dtype_default (gpu)
                : g_strcmp0 (weights, "fp32") == 0 ? SE_DTYPE_F32 : SE_DTYPE_F16;
  g_autoptr (SeModelFiles) model = model_path ? se_model_files_open (model_path, tokenizer, &error)
                                              : se_model_files_new_synthetic (1);
  if (model == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  SeDType act = gpu->fp16_activations ? SE_DTYPE_F16 : SE_DTYPE_F32;
  printf ("device: %s; model: %s; weights %s, activations %s; %dx%d\n", gpu->info.name, model->path,
          se_dtype_name (wtype), se_dtype_name (act), size, size);

  g_auto (GStrv) nets = g_strsplit (only ? only : "clip,unet,vae", ",", -1);
  g_auto (GStrv) bs = g_strsplit (batches ? batches : "1,4", ",", -1);
  g_autoptr (BenchReport) report = bench_report_new ("bench-nets", gpu->info.name);
  Ctx c = { gpu, reps, dry_run, report };
  GRand *rng = g_rand_new_with_seed (7);
  gboolean ok = TRUE;
  for (guint k = 0; nets[k]; k++) {
    VkDeviceSize before = se_memory_in_use (gpu);
    gint64 t0 = g_get_monotonic_time ();
    gpointer net = NULL;
    GDestroyNotify free_net = NULL;
    if (strcmp (nets[k], "clip") == 0) {
      net = se_clip_load (gpu, model, wtype, &error);
      free_net = (GDestroyNotify) se_clip_free;
    } else if (strcmp (nets[k], "unet") == 0) {
      net = se_unet_load (gpu, model, wtype, &error);
      free_net = (GDestroyNotify) se_unet_free;
    } else if (strcmp (nets[k], "vae") == 0) {
      net = se_vae_load (gpu, model, wtype, &error);
      free_net = (GDestroyNotify) se_vae_free;
    } else {
      g_printerr ("unknown network \"%s\" (clip, unet, vae)\n", nets[k]);
      return 2;
    }
    if (net == NULL) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
    double load_s = (g_get_monotonic_time () - t0) / 1e6;
    printf ("%-16s weights %8.1f MiB, loaded in %.1f s\n", nets[k], mib (se_memory_in_use (gpu) - before), load_s);
    g_autofree char *load_name = g_strdup_printf ("%s load", nets[k]);
    bench_report_row (report, load_name, "seconds", load_s, "weights_mib", mib (se_memory_in_use (gpu) - before), NULL);
    for (guint b = 0; bs[b]; b++) {
      guint batch = (guint) g_ascii_strtoull (bs[b], NULL, 10);
      if (batch == 0)
        continue;
      gint64 latent[] = { batch, 4, size / 8, size / 8 };
      if (strcmp (nets[k], "clip") == 0) {
        g_autofree gint32 *ids = g_new (gint32, batch * model->clip.positions);
        for (guint i = 0; i < batch * model->clip.positions; i++)
          ids[i] = (gint32) g_rand_int_range (rng, 0, (gint32) model->clip.vocab);
        ClipArgs a = { ids, batch };
        ok = measure (&c, "text encoder", batch, run_clip, net, &a) && ok;
      } else if (strcmp (nets[k], "unet") == 0) {
        gint64 cshape[] = { batch, model->clip.positions, model->unet.context_dim };
        g_autofree float *ts = g_new (float, batch);
        for (guint i = 0; i < batch; i++)
          ts[i] = 981.0f - 20.0f * (float) i;
        UNetArgs a = { random_tensor (gpu, rng, act, 4, latent, 1.0, &error),
                       se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, batch),
                       random_tensor (gpu, rng, act, 3, cshape, 1.0, &error), NULL };
        if (a.sample && a.timesteps && a.context && se_tensor_upload (a.timesteps, ts, &error) &&
            (a.kv = se_unet_kv_new (net, a.context, &error)) && (c.dry_run || se_cmd_submit (gpu, &error)))
          ok = measure (&c, "unet", batch, run_unet, net, &a) && ok;
        else {
          printf ("unet batch %u: failed: %s\n", batch, error->message);
          g_clear_error (&error);
          ok = FALSE;
        }
        se_unet_kv_free (a.kv);
        se_tensor_free (a.sample);
        se_tensor_free (a.timesteps);
        se_tensor_free (a.context);
      } else {
        gint64 image[] = { batch, 3, size, size };
        SeTensor *img = random_tensor (gpu, rng, SE_DTYPE_F32, 4, image, 1.0, &error);
        SeTensor *lat = random_tensor (gpu, rng, SE_DTYPE_F32, 4, latent, 4.0, &error);
        if (img && lat) {
          ok = measure (&c, "vae encode", batch, run_vae_encode, net, img) && ok;
          ok = measure (&c, "vae decode", batch, run_vae_decode, net, lat) && ok;
        }
        se_tensor_free (img);
        se_tensor_free (lat);
      }
      g_clear_error (&error);
    }
    free_net (net);
  }
  g_rand_free (rng);
  if (!bench_report_write (report, json, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  return ok ? 0 : 1;
}
