/* tuning.c: the coopmat block choice from a tuning table (tuning.h). */
#include "tuning.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "json-read.h"
#include "tuning-tables.h"

typedef struct {
  guint64 outputs;
  guint block;
} Entry;

struct _SeTuning {
  GArray *entries[SE_TUNING_OPS];   /* Entry, by outputs */
  char *source;
};

static const char *const op_names[SE_TUNING_OPS] = { "gemm", "conv" };

void
se_tuning_free (SeTuning *t)
{
  if (t == NULL)
    return;
  for (guint i = 0; i < SE_TUNING_OPS; i++)
    g_clear_pointer (&t->entries[i], g_array_unref);
  g_free (t->source);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeTuning, se_tuning_free)

/* obj's string member `name`, or NULL (missing, or not a string). */
static const char *
string_member (JsonObject *obj, const char *name)
{
  JsonNode *n = obj ? json_object_get_member (obj, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING ? json_node_get_string (n)
                                                                                         : NULL;
}

static gint
by_outputs (gconstpointer a, gconstpointer b)
{
  guint64 x = ((const Entry *) a)->outputs, y = ((const Entry *) b)->outputs;
  return x < y ? -1 : x > y;
}

static gboolean
invalid (GError **error, const char *source, const char *what)
{
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, "tuning table %s: %s", source, what);
  return FALSE;
}

/* The table in `json` (from `source`), or NULL with error. */
static SeTuning *
parse (const char *json, gssize length, const char *source, JsonObject **root_out, JsonParser **keep,
       GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!se_json_load_data (parser, json, length, error)) {
    g_prefix_error (error, "tuning table %s: ", source);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *obj = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *list = obj ? json_object_get_member (obj, "coopmat") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list)) {
    invalid (error, source, "expected an object with a \"coopmat\" array");
    return NULL;
  }
  g_autoptr (SeTuning) t = g_new0 (SeTuning, 1);
  for (guint i = 0; i < SE_TUNING_OPS; i++)
    t->entries[i] = g_array_new (FALSE, FALSE, sizeof (Entry));
  JsonArray *a = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (a); i++) {
    JsonNode *n = json_array_get_element (a, i);
    JsonObject *e = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
    const char *op = string_member (e, "op");
    JsonNode *outputs = e ? json_object_get_member (e, "outputs") : NULL;
    JsonNode *block = e ? json_object_get_member (e, "block") : NULL;
    guint k = 0;
    while (op && k < SE_TUNING_OPS && strcmp (op, op_names[k]) != 0)
      k++;
    if (op == NULL || k == SE_TUNING_OPS || outputs == NULL || block == NULL ||
        !JSON_NODE_HOLDS_VALUE (outputs) || !JSON_NODE_HOLDS_VALUE (block) ||
        json_node_get_value_type (outputs) != G_TYPE_INT64 || json_node_get_value_type (block) != G_TYPE_INT64 ||
        json_node_get_int (outputs) < 0 || json_node_get_int (block) < 0 ||
        json_node_get_int (block) >= SE_COOPMAT_BLOCKS) {
      g_autofree char *what = g_strdup_printf ("entry %u: expected {\"op\": \"gemm\" or \"conv\", \"outputs\": N, "
                                               "\"block\": 0 to %d}", i, SE_COOPMAT_BLOCKS - 1);
      invalid (error, source, what);
      return NULL;
    }
    Entry entry = { (guint64) json_node_get_int (outputs), (guint) json_node_get_int (block) };
    g_array_append_val (t->entries[k], entry);
  }
  for (guint i = 0; i < SE_TUNING_OPS; i++)
    g_array_sort (t->entries[i], by_outputs);
  t->source = g_strdup (source);
  *root_out = obj;
  *keep = g_steal_pointer (&parser);
  return g_steal_pointer (&t);
}

/* Whether a built-in table's "device" and "driver" name this device. */
static gboolean
matches (const SeGpu *gpu, JsonObject *obj)
{
  const char *device = string_member (obj, "device");
  const char *driver = string_member (obj, "driver");
  g_autofree char *ours = g_strdup_printf ("0x%x", gpu->info.driver_version);
  return device && driver && strcmp (device, gpu->info.name) == 0 && g_ascii_strcasecmp (driver, ours) == 0;
}

gboolean
se_tuning_load (SeGpu *gpu, GError **error)
{
  const char *file = g_getenv ("SE_TUNING");
  JsonObject *obj;
  if (file && *file) {
    g_autofree char *json = NULL;
    gsize length;
    if (!g_file_get_contents (file, &json, &length, error)) {
      g_prefix_error (error, "SE_TUNING: ");
      return FALSE;
    }
    g_autoptr (JsonParser) keep = NULL;
    gpu->tuning = parse (json, (gssize) length, file, &obj, &keep, error);
    return gpu->tuning != NULL;
  }
  guint fallback = G_MAXUINT;
  for (guint i = 0; i < G_N_ELEMENTS (tuning_tables); i++) {
    g_autoptr (JsonParser) keep = NULL;
    g_autoptr (SeTuning) t = parse (tuning_tables[i].json, -1, tuning_tables[i].name, &obj, &keep, error);
    if (t == NULL)
      return FALSE;
    if (strcmp (tuning_tables[i].name, "default.json") == 0)
      fallback = i;
    else if (matches (gpu, obj)) {
      gpu->tuning = g_steal_pointer (&t);
      return TRUE;
    }
  }
  g_assert (fallback != G_MAXUINT);
  g_autoptr (JsonParser) keep = NULL;
  gpu->tuning = parse (tuning_tables[fallback].json, -1, "default.json", &obj, &keep, error);
  return gpu->tuning != NULL;
}

guint
se_tuning_block (const SeGpu *gpu, SeTuningOp op, guint64 outputs)
{
  GArray *entries = gpu->tuning->entries[op];
  guint block = SE_COOPMAT_BLOCKS - 1;          /* the smallest, where no entry applies */
  for (guint i = 0; i < entries->len && g_array_index (entries, Entry, i).outputs <= outputs; i++)
    block = g_array_index (entries, Entry, i).block;
  return block;
}

const char *
se_tuning_source (const SeGpu *gpu)
{
  return gpu->tuning->source;
}
