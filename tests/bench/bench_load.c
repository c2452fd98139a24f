/* bench_load.c: model load time against the time to read the file once.
 *
 * Not a pass/fail test.  Writes a single-file checkpoint with SD 1.5's exact
 * tensors in fp16 with random values: the LDM key set of the reference's
 * single file (the same block structure), at the shapes the network loaders
 * ask a synthetic SD 1.5 for.  Then, in one run, times reading the whole
 * file once (read(2) in 64 MiB chunks; the page cache is warm from writing
 * it) and loading it as the engine does (se_model_load: header checks,
 * every tensor converted and uploaded through the staging ring, 3x3 kernels
 * packed where the device's kernels want them), and prints the ratio.
 * --model times a real checkpoint instead. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench-report.h"
#include "engine.h"
#include "nets/clip.h"
#include "nets/unet.h"
#include "nets/vae.h"
#include "weights/safetensors.h"
#include "weights/safetensors_write.h"

/* The tensors the loaders read from a synthetic SD 1.5 ("net/name" ->
 * SeWeightRequest*, owned by model). */
static GHashTable *
sd15_requests (SeModelFiles *model, GError **error)
{
  g_autoptr (SeGpu) gpu = se_gpu_new (NULL, error);
  if (gpu == NULL)
    return NULL;
  SeClip *clip = se_clip_load (gpu, model, SE_DTYPE_F16, error);
  SeUNet *unet = clip ? se_unet_load (gpu, model, SE_DTYPE_F16, error) : NULL;
  SeVae *vae = unet ? se_vae_load (gpu, model, SE_DTYPE_F16, error) : NULL;
  se_vae_free (vae);
  se_unet_free (unet);
  se_clip_free (clip);
  if (vae == NULL)
    return NULL;
  GHashTable *by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < model->requests->len; i++) {
    SeWeightRequest *r = g_ptr_array_index (model->requests, i);
    g_hash_table_insert (by_name, g_strdup_printf ("%d/%s", r->net, r->name), r);
  }
  return by_name;
}

/* Adds key (at rank) and its variants with one number replaced by 0..15
 * (at rank 2) to set, keeping a key's best rank: the reference model has SD
 * 1.5's structure but fewer text layers. */
static void
add_candidates (GHashTable *set, const char *key, guint rank)
{
  if (!g_hash_table_contains (set, key) || GPOINTER_TO_UINT (g_hash_table_lookup (set, key)) > rank)
    g_hash_table_insert (set, g_strdup (key), GUINT_TO_POINTER (rank));
  for (const char *p = key; *p; p++) {
    if (!g_ascii_isdigit (*p) || (p > key && g_ascii_isdigit (p[-1])))
      continue;
    const char *end = p;
    while (g_ascii_isdigit (*end))
      end++;
    for (int v = 0; v < 16; v++) {
      char *variant = g_strdup_printf ("%.*s%d%s", (int) (p - key), key, v, end);
      if (g_hash_table_contains (set, variant))
        g_free (variant);
      else
        g_hash_table_insert (set, variant, GUINT_TO_POINTER (2));
    }
  }
}

/* The LDM key of every tensor SD 1.5 loads ("net/name" -> key), found by
 * mapping candidate keys made from the reference single file's keys with
 * the engine's own LDM mapping.  The mapping is arithmetic, so a made-up
 * key can land on a real name: candidates go in order of rank, the file's
 * own keys (0), those with a shortcut convolution swapped in (1: the layers
 * that change width differ between the models), numbers varied (2). */
static GHashTable *
ldm_keys_for (GHashTable *requests, const SeSafetensors *layout)
{
  static const char *shortcuts[][2] = {
    { ".in_layers.0.", ".skip_connection." },       /* UNet resnets */
    { ".norm1.", ".nin_shortcut." },                /* VAE resnets */
  };
  g_autoptr (GHashTable) candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < se_safetensors_count (layout); i++) {
    const char *key = se_safetensors_nth (layout, i)->name;
    add_candidates (candidates, key, 0);
    for (guint s = 0; s < G_N_ELEMENTS (shortcuts); s++) {
      const char *at = strstr (key, shortcuts[s][0]);
      if (at) {
        g_autofree char *swapped = g_strdup_printf ("%.*s%s%s", (int) (at - key), key, shortcuts[s][1],
                                                    at + strlen (shortcuts[s][0]));
        add_candidates (candidates, swapped, 1);
      }
    }
  }
  GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint rank = 0; rank < 3; rank++) {
    GHashTableIter it;
    gpointer cand, r;
    g_hash_table_iter_init (&it, candidates);
    while (g_hash_table_iter_next (&it, &cand, &r)) {
      if (GPOINTER_TO_UINT (r) != rank)
        continue;
      SeNet net;
      g_autofree char *name = se_ldm_to_diffusers (cand, 2, 4, &net);
      g_autofree char *id = name ? g_strdup_printf ("%d/%s", net, name) : NULL;
      if (id && g_hash_table_contains (requests, id) && !g_hash_table_contains (keys, id))
        g_hash_table_insert (keys, g_steal_pointer (&id), g_strdup (cand));
    }
  }
  return keys;
}

static void
random_values (guint64 *state, float *out, gsize n)
{
  guint64 x = *state;
  for (gsize i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    out[i] = (float) ((double) ((x * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0 - 0.5) * 0.1f;
  }
  *state = x;
}

/* Writes path: every tensor SD 1.5 loads under its LDM key, as fp16 (a
 * matrix the reference file stores as a 1x1 kernel keeps that form), and
 * the reference file's tensors the loaders do not read (position_ids). */
static gboolean
write_sd15_file (const char *reference, const char *path, GError **error)
{
  g_autoptr (SeModelFiles) model = se_model_files_new_synthetic (1);
  g_autoptr (GHashTable) requests = sd15_requests (model, error);
  if (requests == NULL)
    return FALSE;
  g_autofree char *layout_path = g_build_filename (reference, "tiny-sd-fp16.safetensors", NULL);
  g_autoptr (SeSafetensors) layout = se_safetensors_open (layout_path, error);
  if (layout == NULL)
    return FALSE;
  g_autoptr (GHashTable) keys = ldm_keys_for (requests, layout);
  g_autoptr (SeSafetensorsWriter) w = se_safetensors_writer_new ();
  guint64 state = 0x9E3779B97F4A7C15ull;
  GHashTableIter it;
  gpointer id, value;
  g_hash_table_iter_init (&it, requests);
  while (g_hash_table_iter_next (&it, &id, &value)) {
    const SeWeightRequest *r = value;
    const char *key = g_hash_table_lookup (keys, id);
    if (key == NULL) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "no LDM key found for %s", r->name);
      return FALSE;
    }
    const SeSafeTensor *like = se_safetensors_find (layout, key);
    gint64 shape[4] = { r->shape[0], r->shape[1], 1, 1 };
    guint ndim = r->ndim == 2 && like && like->ndim == 4 ? 4 : r->ndim;
    memcpy (shape, r->shape, r->ndim * sizeof *shape);
    gsize n = 1;
    for (guint d = 0; d < ndim; d++)
      n *= (gsize) shape[d];
    g_autofree float *data = g_try_new (float, n);
    if (data == NULL) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "out of memory for %s", key);
      return FALSE;
    }
    random_values (&state, data, n);
    se_safetensors_writer_add_f32 (w, key, SE_DTYPE_F16, ndim, shape, data);
  }
  for (guint i = 0; i < se_safetensors_count (layout); i++) {
    const SeSafeTensor *t = se_safetensors_nth (layout, i);
    SeNet net;
    g_autofree char *name = se_ldm_to_diffusers (t->name, 2, 4, &net);
    if (name == NULL)
      se_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, se_safetensors_data (layout, t));
  }
  return se_safetensors_writer_save (w, path, error);
}

/* Seconds to read path once, start to end; its size in *bytes. */
static double
read_once (const char *path, guint64 *bytes, GError **error)
{
  int fd = g_open (path, O_RDONLY, 0);
  if (fd < 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path, g_strerror (errno));
    return -1;
  }
  gsize chunk = 64 << 20;
  g_autofree char *buf = g_malloc (chunk);
  *bytes = 0;
  gint64 t0 = g_get_monotonic_time ();
  for (;;) {
    ssize_t got = read (fd, buf, chunk);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path, g_strerror (errno));
      close (fd);
      return -1;
    }
    if (got == 0)
      break;
    *bytes += (guint64) got;
  }
  double s = (g_get_monotonic_time () - t0) / 1e6;
  close (fd);
  return s;
}

int
main (int argc, char **argv)
{
  char *model_path = NULL, *out = NULL, *json = NULL, *tokenizer = NULL;
  const char *reference = g_getenv ("SE_REFERENCE_DIR");
  char *reference_opt = NULL;
  gboolean keep = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Time this checkpoint instead of writing one", "PATH" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where to write the SD 1.5-shaped file (default: the temporary folder)", "PATH" },
    { "keep", 'k', 0, G_OPTION_ARG_NONE, &keep, "Keep the written file", NULL },
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference_opt, "The reference data (default: SE_REFERENCE_DIR)", "DIR" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer, "Tokenizer folder (default: the reference's)", "DIR" },
    { "json", 'j', 0, G_OPTION_ARG_FILENAME, &json, "Also write the results to FILE as JSON", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- model load time against reading the file once");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  if (reference_opt)
    reference = reference_opt;
  if (reference == NULL) {
    g_printerr ("the reference data is needed (--reference or SE_REFERENCE_DIR)\n");
    return 2;
  }
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autofree char *tok = tokenizer ? g_strdup (tokenizer) : g_build_filename (reference, "tiny-sd", "tokenizer", NULL);
  g_autofree char *path = model_path ? g_strdup (model_path)
                        : out ? g_strdup (out) : g_build_filename (g_get_tmp_dir (), "se-sd15-shaped-fp16.safetensors", NULL);
  if (model_path == NULL) {
    gint64 t0 = g_get_monotonic_time ();
    if (!write_sd15_file (reference, path, &error)) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
    printf ("wrote %s in %.1f s\n", path, (g_get_monotonic_time () - t0) / 1e6);
  }

  guint64 bytes = 0;
  double read_s = read_once (path, &bytes, &error);
  g_autoptr (SeEngine) engine = read_s >= 0 ? se_engine_new (NULL, &error) : NULL;
  if (engine == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (SeModel) model = se_model_load (engine, path, tok, &error);
  double load_s = (g_get_monotonic_time () - t0) / 1e6;
  if (model_path == NULL && !keep)
    g_unlink (path);
  if (model == NULL) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  double gib = (double) bytes / (1 << 30);
  printf ("device: %s\n", se_engine_device_name (engine));
  printf ("file: %s, %.2f GiB\n", path, gib);
  printf ("read once:  %7.2f s  (%.2f GiB/s, page cache warm)\n", read_s, gib / read_s);
  printf ("model load: %7.2f s  (%.2f GiB/s): %.2fx the read\n", load_s, gib / load_s, load_s / read_s);
  g_autoptr (BenchReport) report = bench_report_new ("bench-load", se_engine_device_name (engine));
  bench_report_row (report, "read once", "seconds", read_s, "gib", gib, NULL);
  bench_report_row (report, "model load", "seconds", load_s, "gib", gib, "ratio_to_read", load_s / read_s, NULL);
  if (!bench_report_write (report, json, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  return 0;
}
