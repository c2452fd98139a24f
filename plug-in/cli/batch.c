/* batch.c: many images through one loaded model (batch.h). */
#include "batch.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const image_extensions[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp" };

void
se_cli_job_free (SeCliJob *job)
{
  if (job == NULL)
    return;
  g_free (job->input);
  g_free (job->mask);
  g_ptr_array_unref (job->outputs);
  g_free (job);
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (image_extensions); i++)
    if (g_str_has_suffix (lower, image_extensions[i]))
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
se_cli_list_inputs (char **args, GError **error)
{
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; args && args[i]; i++) {
    if (!g_file_test (args[i], G_FILE_TEST_IS_DIR)) {
      g_ptr_array_add (inputs, g_strdup (args[i]));
      continue;
    }
    g_autoptr (GDir) dir = g_dir_open (args[i], 0, error);
    if (dir == NULL)
      return NULL;
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    for (const char *name; (name = g_dir_read_name (dir));)
      if (name[0] != '.' && is_image_name (name))
        g_ptr_array_add (names, g_build_filename (args[i], name, NULL));
    g_ptr_array_sort (names, compare_names);
    for (guint k = 0; k < names->len; k++)
      g_ptr_array_add (inputs, g_strdup (names->pdata[k]));
  }
  return g_steal_pointer (&inputs);
}

/* The input's file name without its extension. */
static char *
stem (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return base;
}

char *
se_cli_find_mask (const char *dir, const char *input)
{
  g_autofree char *s = stem (input);
  for (guint i = 0; i < G_N_ELEMENTS (image_extensions); i++) {
    g_autofree char *name = g_strconcat (s, image_extensions[i], NULL);
    char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return path;
    g_free (path);
  }
  return NULL;
}

GPtrArray *
se_cli_batch_outputs (const char *out_dir, const char *input, guint candidates, guint64 seed)
{
  GPtrArray *outputs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *s = stem (input);
  for (guint k = 0; k < candidates; k++) {
    g_autofree char *name = candidates == 1
                          ? g_strdup_printf ("%s.png", s)
                          : g_strdup_printf ("%s-c%u-seed%" G_GUINT64_FORMAT ".png", s, k + 1, seed + k);
    g_ptr_array_add (outputs, g_build_filename (out_dir, name, NULL));
  }
  return outputs;
}

/* Ctrl+C / SIGTERM: the flag is polled at every progress step, which
 * cancels the edit; a second signal ends the process at once. */
static volatile sig_atomic_t interrupted;

static void
on_signal (int sig)
{
  interrupted = 1;
  signal (sig, SIG_DFL);
}

typedef struct {
  SeCliProgress *progress;
  GCancellable *cancel;
} StepData;

static void
on_step (const char *phase, guint done, guint total, gpointer data)
{
  StepData *d = data;
  if (interrupted)
    g_cancellable_cancel (d->cancel);
  se_cli_progress_step (phase, done, total, d->progress);
}

typedef struct {
  const char *status;
  char *message;
  double seconds;
  gboolean edited;
} Outcome;

static gboolean
all_exist (GPtrArray *paths)
{
  for (guint i = 0; i < paths->len; i++)
    if (!g_file_test (paths->pdata[i], G_FILE_TEST_EXISTS))
      return FALSE;
  return TRUE;
}

/* The job whose outputs job's would overwrite, or NULL. */
static const SeCliJob *
overwrites (GHashTable *claimed, const SeCliJob *job)
{
  for (guint i = 0; i < job->outputs->len; i++) {
    const SeCliJob *owner = g_hash_table_lookup (claimed, job->outputs->pdata[i]);
    if (owner)
      return owner;
  }
  for (guint i = 0; i < job->outputs->len; i++)
    g_hash_table_insert (claimed, job->outputs->pdata[i], (gpointer) job);
  return NULL;
}

/* A file's identity, "device:inode", or NULL when it does not exist. */
static char *
file_id (const char *path)
{
  GStatBuf st;
  if (path == NULL || g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
}

/* Every input file of the batch (images and masks): id -> its path. */
static GHashTable *
input_files (GPtrArray *jobs)
{
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < jobs->len; i++) {
    const SeCliJob *job = jobs->pdata[i];
    const char *paths[] = { job->input, job->mask };
    for (guint k = 0; k < G_N_ELEMENTS (paths); k++) {
      char *id = file_id (paths[k]);
      if (id)
        g_hash_table_insert (ids, id, (gpointer) paths[k]);
    }
  }
  return ids;
}

/* The input file one of job's results already is (the same file under any
 * name), or NULL. */
static const char *
overwrites_input (GHashTable *inputs, const SeCliJob *job)
{
  for (guint i = 0; i < job->outputs->len; i++) {
    g_autofree char *id = file_id (job->outputs->pdata[i]);
    const char *input = id ? g_hash_table_lookup (inputs, id) : NULL;
    if (input)
      return input;
  }
  return NULL;
}

static void
run_job (SeCliEdit *e, const SeCliJob *job, const SeCliBatchOptions *o, GHashTable *claimed, GHashTable *inputs,
         Outcome *out)
{
  const SeCliJob *owner = overwrites (claimed, job);
  if (owner) {
    out->status = "failed";
    out->message = g_strdup_printf (_("%s: its results would overwrite those of %s"), job->input, owner->input);
    return;
  }
  const char *input = o->overwrite_inputs ? NULL : overwrites_input (inputs, job);
  if (input) {
    out->status = "failed";
    out->message = g_strdup_printf (_("%s: its result would overwrite the input %s; write the results elsewhere "
                                      "(or pass --overwrite-inputs)"), job->input, input);
    return;
  }
  if (o->skip_existing && all_exist (job->outputs)) {
    out->status = "skipped";
    out->message = g_strdup (_("its results exist"));
    return;
  }
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = se_cli_edit_image (e, job->input, job->mask, (char *const *) job->outputs->pdata, &out->edited,
                                   &error);
  out->seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (ok) {
    out->status = out->edited ? "done" : "unchanged";
    if (!out->edited)
      out->message = g_strdup (_("the mask is black: nothing to edit"));
  } else {
    gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    out->status = cancelled ? "cancelled" : "failed";
    out->message = g_strdup (cancelled ? _("interrupted") : error->message);
  }
}

static JsonNode *
report_node (const SeCliEdit *e, GPtrArray *jobs, const Outcome *outcomes, gboolean was_interrupted)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  g_autofree char *recipe = se_recipe_to_json (e->recipe);
  JsonNode *recipe_node = json_from_string (recipe, NULL);
  json_builder_set_member_name (b, "recipe");
  json_builder_add_value (b, recipe_node ? recipe_node : json_node_new (JSON_NODE_NULL));
  json_builder_set_member_name (b, "candidates");
  json_builder_add_int_value (b, e->candidates);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, was_interrupted);
  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);
  guint counts[6] = { 0 };
  static const char *const statuses[] = { "done", "unchanged", "skipped", "failed", "cancelled", "not run" };
  for (guint i = 0; i < jobs->len; i++) {
    const SeCliJob *job = jobs->pdata[i];
    const Outcome *oc = &outcomes[i];
    for (guint s = 0; s < G_N_ELEMENTS (statuses); s++)
      counts[s] += g_strcmp0 (oc->status, statuses[s]) == 0;
    gboolean wrote = g_strcmp0 (oc->status, "done") == 0 || g_strcmp0 (oc->status, "unchanged") == 0 ||
                     g_strcmp0 (oc->status, "skipped") == 0;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "input");
    json_builder_add_string_value (b, job->input);
    json_builder_set_member_name (b, "mask");
    if (job->mask)
      json_builder_add_string_value (b, job->mask);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, oc->status);
    json_builder_set_member_name (b, "message");
    if (oc->message)
      json_builder_add_string_value (b, oc->message);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "seeds");
    json_builder_begin_array (b);
    for (guint k = 0; k < e->candidates; k++)
      json_builder_add_int_value (b, (gint64) (e->seed + k));
    json_builder_end_array (b);
    json_builder_set_member_name (b, "outputs");
    json_builder_begin_array (b);
    for (guint k = 0; wrote && k < job->outputs->len; k++)
      json_builder_add_string_value (b, job->outputs->pdata[k]);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "seconds");
    json_builder_add_double_value (b, oc->seconds);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (guint s = 0; s < G_N_ELEMENTS (statuses); s++) {
    g_autofree char *key = g_strdelimit (g_strdup (statuses[s]), " ", '_');
    json_builder_set_member_name (b, key);
    json_builder_add_int_value (b, counts[s]);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_report (const char *path, JsonNode *root, GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  return g_file_set_contents (path, text, -1, error);     /* written to a temporary file, then renamed */
}

int
se_cli_run_batch (SeCliEdit *e, GPtrArray *jobs, const SeCliBatchOptions *o)
{
  g_autoptr (SeCliProgress) progress = se_cli_progress_new (!o->quiet && isatty (2), jobs->len);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  StepData step = { progress, cancel };
  e->cancel = cancel;
  e->progress = on_step;
  e->progress_data = &step;
  interrupted = 0;
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  g_autoptr (GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) inputs = input_files (jobs);
  g_autofree Outcome *outcomes = g_new0 (Outcome, jobs->len);
  for (guint i = 0; i < jobs->len; i++) {
    const SeCliJob *job = jobs->pdata[i];
    if (interrupted) {
      outcomes[i].status = "not run";
      continue;
    }
    se_cli_progress_image (progress, i, job->input);
    run_job (e, job, o, claimed, inputs, &outcomes[i]);
    se_cli_progress_image_done (progress, outcomes[i].seconds, outcomes[i].edited);
    if (g_strcmp0 (outcomes[i].status, "failed") == 0) {
      se_cli_progress_clear (progress);
      g_printerr ("semantic-edit: %s\n", outcomes[i].message);
    }
  }
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  se_cli_progress_clear (progress);

  g_autoptr (JsonNode) report = report_node (e, jobs, outcomes, interrupted);
  JsonObject *summary = json_object_get_object_member (json_node_get_object (report), "summary");
#define COUNT(key) ((guint) json_object_get_int_member (summary, key))
  guint failed = COUNT ("failed");
  if ((jobs->len > 1 && !o->quiet) || interrupted)
    g_printerr (_("semantic-edit: %u images: %u done, %u unchanged, %u skipped, %u failed, %u not finished%s\n"),
                jobs->len, COUNT ("done"), COUNT ("unchanged"), COUNT ("skipped"), failed,
                COUNT ("cancelled") + COUNT ("not_run"), interrupted ? _(" (interrupted)") : "");
#undef COUNT
  g_autoptr (GError) error = NULL;
  int status = interrupted ? 130 : failed > 0 ? 1 : 0;
  if (o->report && !write_report (o->report, report, &error)) {
    g_printerr ("semantic-edit: %s\n", error->message);
    status = status ? status : 1;
  }
  for (guint i = 0; i < jobs->len; i++)
    g_free (outcomes[i].message);
  return status;
}
