/* safetensors.c: header validation and tensor access. */
#include "safetensors.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "json-read.h"

G_DEFINE_QUARK (se-weights-error-quark, se_weights_error)

struct _SeSafetensors {
  char *path;
  GMappedFile *map;
  const guint8 *data;           /* start of the data section */
  guint64 data_size;
  GArray *tensors;              /* SeSafeTensor, sorted by name */
  GHashTable *by_name;          /* name -> index + 1 */
  GHashTable *metadata;         /* char* -> char* */
};

static gboolean
fail (GError **error, int code, const char *path, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, int code, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (_(fmt), ap);
  va_end (ap);
  g_set_error (error, SE_WEIGHTS_ERROR, code, "%s: %s", path, msg);
  return FALSE;
}

#define FORMAT_ERROR(...) fail (error, SE_WEIGHTS_ERROR_FORMAT, f->path, __VA_ARGS__)

static gboolean
read_uint (JsonNode *node, guint64 *out)
{
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_metadata (SeSafetensors *f, JsonNode *node, GError **error)
{
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    return FORMAT_ERROR ("__metadata__ is not an object");
  JsonObject *obj = json_node_get_object (node);
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next) {
    JsonNode *v = json_object_get_member (obj, l->data);
    if (JSON_NODE_TYPE (v) != JSON_NODE_VALUE || json_node_get_value_type (v) != G_TYPE_STRING)
      return FORMAT_ERROR ("__metadata__ entry \"%s\" is not a string", (const char *) l->data);
    g_hash_table_insert (f->metadata, g_strdup (l->data), g_strdup (json_node_get_string (v)));
  }
  return TRUE;
}

static gboolean
parse_entry (SeSafetensors *f, const char *name, JsonNode *node, SeSafeTensor *t, GError **error)
{
  if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
    return FORMAT_ERROR ("tensor \"%s\": header entry is not an object", name);
  JsonObject *obj = json_node_get_object (node);
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    if (strcmp (l->data, "dtype") && strcmp (l->data, "shape") && strcmp (l->data, "data_offsets"))
      return FORMAT_ERROR ("tensor \"%s\": unknown field \"%s\"", name, (const char *) l->data);

  JsonNode *dtype = json_object_get_member (obj, "dtype");
  if (dtype == NULL || JSON_NODE_TYPE (dtype) != JSON_NODE_VALUE ||
      json_node_get_value_type (dtype) != G_TYPE_STRING)
    return FORMAT_ERROR ("tensor \"%s\": missing or non-string dtype", name);
  if (!se_dtype_from_name (json_node_get_string (dtype), &t->dtype))
    return FORMAT_ERROR ("tensor \"%s\": unknown dtype \"%s\" (supported: F64, F32, F16, BF16, "
                         "I64, I32, I16, I8, U8, BOOL)", name, json_node_get_string (dtype));

  JsonNode *shape = json_object_get_member (obj, "shape");
  if (shape == NULL || JSON_NODE_TYPE (shape) != JSON_NODE_ARRAY)
    return FORMAT_ERROR ("tensor \"%s\": missing or non-array shape", name);
  JsonArray *dims = json_node_get_array (shape);
  t->ndim = json_array_get_length (dims);
  if (t->ndim > SE_SAFETENSORS_MAX_DIMS)
    return FORMAT_ERROR ("tensor \"%s\": %u dimensions, at most %d supported", name, t->ndim,
                         SE_SAFETENSORS_MAX_DIMS);
  guint64 numel = 1;
  for (guint i = 0; i < t->ndim; i++) {
    guint64 d;
    if (!read_uint (json_array_get_element (dims, i), &d))
      return FORMAT_ERROR ("tensor \"%s\": shape entry %u is not a non-negative integer", name, i);
    if (d != 0 && numel > G_MAXUINT64 / 16 / d)
      return FORMAT_ERROR ("tensor \"%s\": shape is too large", name);
    numel *= d;
    t->shape[i] = (gint64) d;
  }
  t->numel = (gsize) numel;

  JsonNode *offsets = json_object_get_member (obj, "data_offsets");
  if (offsets == NULL || JSON_NODE_TYPE (offsets) != JSON_NODE_ARRAY ||
      json_array_get_length (json_node_get_array (offsets)) != 2 ||
      !read_uint (json_array_get_element (json_node_get_array (offsets), 0), &t->begin) ||
      !read_uint (json_array_get_element (json_node_get_array (offsets), 1), &t->end))
    return FORMAT_ERROR ("tensor \"%s\": data_offsets must be two non-negative integers", name);
  if (t->end < t->begin)
    return FORMAT_ERROR ("tensor \"%s\": data_offsets [%llu, %llu"
                         "] end before they begin", name, (unsigned long long) t->begin, (unsigned long long) t->end);
  if (t->end > f->data_size)
    return FORMAT_ERROR ("tensor \"%s\": data_offsets [%llu, %llu"
                         "] lie outside the %llu bytes of data (file truncated?)",
                         name, (unsigned long long) t->begin, (unsigned long long) t->end,
                         (unsigned long long) f->data_size);
  guint64 want = numel * se_dtype_size (t->dtype);
  if (t->end - t->begin != want)
    return FORMAT_ERROR ("tensor \"%s\": %s shape of %llu elements needs %llu "
                         "bytes, data_offsets give %llu",
                         name, se_dtype_name (t->dtype), (unsigned long long) numel,
                         (unsigned long long) want, (unsigned long long) (t->end - t->begin));
  /* Real checkpoints store the I64 position_ids right after fp16 data, at a
   * 4-byte boundary, so 8-byte types are held to 4; an offset that splits an
   * element of 2 or 4 bytes only comes from a corrupt header. */
  gsize align = MIN (se_dtype_size (t->dtype), 4);
  if (t->begin % align != 0)
    return FORMAT_ERROR ("tensor \"%s\": data offset %llu is not aligned to "
                         "%zu bytes for its %s elements", name, (unsigned long long) t->begin, align,
                         se_dtype_name (t->dtype));
  t->name = g_strdup (name);
  return TRUE;
}

static gint
by_begin (gconstpointer a, gconstpointer b)
{
  const SeSafeTensor *x = *(SeSafeTensor * const *) a, *y = *(SeSafeTensor * const *) b;
  return (x->begin > y->begin) - (x->begin < y->begin);
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (((const SeSafeTensor *) a)->name, ((const SeSafeTensor *) b)->name);
}

static gboolean
check_overlaps (SeSafetensors *f, GError **error)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  for (guint i = 0; i < f->tensors->len; i++)
    if (g_array_index (f->tensors, SeSafeTensor, i).end > g_array_index (f->tensors, SeSafeTensor, i).begin)
      g_ptr_array_add (order, &g_array_index (f->tensors, SeSafeTensor, i));
  g_ptr_array_sort (order, by_begin);
  for (guint i = 1; i < order->len; i++) {
    const SeSafeTensor *a = order->pdata[i - 1], *b = order->pdata[i];
    if (b->begin < a->end)
      return FORMAT_ERROR ("tensors \"%s\" and \"%s\" overlap in the data section", a->name, b->name);
  }
  return TRUE;
}

static gboolean
parse_header (SeSafetensors *f, const char *json, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) err = NULL;
  if (!se_json_load_data (parser, json, (gssize) len, &err))
    return FORMAT_ERROR ("header is not valid JSON: %s", err->message);
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT)
    return FORMAT_ERROR ("header is not a JSON object");
  JsonObject *obj = json_node_get_object (root);
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member (obj, name);
    if (strcmp (name, "__metadata__") == 0) {
      if (!parse_metadata (f, node, error))
        return FALSE;
      continue;
    }
    SeSafeTensor t = { 0 };
    if (!parse_entry (f, name, node, &t, error))
      return FALSE;
    g_array_append_val (f->tensors, t);
  }
  if (!check_overlaps (f, error))
    return FALSE;
  g_array_sort (f->tensors, by_name);
  for (guint i = 0; i < f->tensors->len; i++)
    g_hash_table_insert (f->by_name, g_array_index (f->tensors, SeSafeTensor, i).name,
                         GUINT_TO_POINTER (i + 1));
  return TRUE;
}

static void
clear_tensor (gpointer p)
{
  g_free (((SeSafeTensor *) p)->name);
}

SeSafetensors *
se_safetensors_open (const char *path, GError **error)
{
  g_autoptr (SeSafetensors) f = g_new0 (SeSafetensors, 1);
  f->path = g_strdup (path);
  f->tensors = g_array_new (FALSE, TRUE, sizeof (SeSafeTensor));
  g_array_set_clear_func (f->tensors, clear_tensor);
  f->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  f->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_autoptr (GError) err = NULL;
  f->map = g_mapped_file_new (path, FALSE, &err);
  if (f->map == NULL) {
    fail (error, SE_WEIGHTS_ERROR_IO, path, "cannot open: %s", err->message);
    return NULL;
  }
  gsize size = g_mapped_file_get_length (f->map);
  const guint8 *bytes = (const guint8 *) g_mapped_file_get_contents (f->map);
  if (size < 8) {
    fail (error, SE_WEIGHTS_ERROR_FORMAT, path, "truncated: %zu bytes, too short for the "
          "8-byte header length of a safetensors file", size);
    return NULL;
  }
  guint64 header_len;
  memcpy (&header_len, bytes, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > SE_SAFETENSORS_MAX_HEADER) {
    fail (error, SE_WEIGHTS_ERROR_FORMAT, path, "header length %llu exceeds "
          "the %llu MiB limit (not a safetensors file?)", (unsigned long long) header_len,
          (unsigned long long) (SE_SAFETENSORS_MAX_HEADER >> 20));
    return NULL;
  }
  if (header_len > size - 8) {
    fail (error, SE_WEIGHTS_ERROR_FORMAT, path, "header length %llu runs past "
          "the end of the file (%zu bytes): truncated or not a safetensors file", (unsigned long long) header_len, size);
    return NULL;
  }
  f->data = bytes + 8 + header_len;
  f->data_size = size - 8 - header_len;
  if (!parse_header (f, (const char *) bytes + 8, header_len, error))
    return NULL;
  return g_steal_pointer (&f);
}

void
se_safetensors_free (SeSafetensors *f)
{
  if (f == NULL)
    return;
  g_array_unref (f->tensors);
  g_hash_table_unref (f->by_name);
  g_hash_table_unref (f->metadata);
  if (f->map)
    g_mapped_file_unref (f->map);
  g_free (f->path);
  g_free (f);
}

const char *se_safetensors_path (const SeSafetensors *f) { return f->path; }
guint se_safetensors_count (const SeSafetensors *f) { return f->tensors->len; }

const SeSafeTensor *
se_safetensors_nth (const SeSafetensors *f, guint i)
{
  g_return_val_if_fail (i < f->tensors->len, NULL);
  return &g_array_index (f->tensors, SeSafeTensor, i);
}

const SeSafeTensor *
se_safetensors_find (const SeSafetensors *f, const char *name)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (f->by_name, name));
  return i ? &g_array_index (f->tensors, SeSafeTensor, i - 1) : NULL;
}

const char *
se_safetensors_metadata (const SeSafetensors *f, const char *key)
{
  return g_hash_table_lookup (f->metadata, key);
}

const void *
se_safetensors_data (const SeSafetensors *f, const SeSafeTensor *t)
{
  return f->data + t->begin;
}

const SeSafeTensor *
se_safetensors_get (const SeSafetensors *f, const char *name, GError **error)
{
  const SeSafeTensor *t = se_safetensors_find (f, name);
  if (t == NULL)
    fail (error, SE_WEIGHTS_ERROR_MISSING, f->path, "no tensor named \"%s\"", name);
  return t;
}

void
se_safetensors_read_f32 (const SeSafetensors *f, const SeSafeTensor *t, float *out)
{
  se_dtype_to_f32 (t->dtype, se_safetensors_data (f, t), out, t->numel);
}

gboolean
se_safetensors_read_i64 (const SeSafetensors *f, const SeSafeTensor *t, gint64 *out, GError **error)
{
  if (se_dtype_is_float (t->dtype))
    return fail (error, SE_WEIGHTS_ERROR_TYPE, f->path, "tensor \"%s\" is %s, expected an "
                 "integer type", t->name, se_dtype_name (t->dtype));
  const guint8 *s = se_safetensors_data (f, t);
  gsize size = se_dtype_size (t->dtype);
  for (gsize i = 0; i < t->numel; i++) {
    const guint8 *e = s + i * size;
    switch (t->dtype) {
    case SE_DTYPE_I64: memcpy (&out[i], e, 8); break;
    case SE_DTYPE_I32: { gint32 v; memcpy (&v, e, 4); out[i] = v; break; }
    case SE_DTYPE_I16: { gint16 v; memcpy (&v, e, 2); out[i] = v; break; }
    case SE_DTYPE_I8: out[i] = (gint8) *e; break;
    default: out[i] = *e; break;                         /* U8, BOOL */
    }
  }
  return TRUE;
}

SeTensor *
se_safetensors_upload (const SeSafetensors *f, const SeSafeTensor *t, SeGpu *gpu, SeDType dtype,
                       GError **error)
{
  if (!se_dtype_is_float (t->dtype)) {
    fail (error, SE_WEIGHTS_ERROR_TYPE, f->path, "tensor \"%s\" is %s, expected a float type",
          t->name, se_dtype_name (t->dtype));
    return NULL;
  }
  if (t->ndim == 0 || t->ndim > SE_MAX_DIMS || t->numel == 0) {
    fail (error, SE_WEIGHTS_ERROR_TYPE, f->path, "tensor \"%s\" has %u dimensions and %zu "
          "elements; the engine takes 1 to %d dimensions", t->name, t->ndim, t->numel, SE_MAX_DIMS);
    return NULL;
  }
  g_autoptr (SeTensor) dev = se_tensor_new_typed (gpu, dtype, t->ndim, t->shape, error);
  if (dev == NULL)
    return NULL;
  /* same storage on both sides: the mapped bytes go up as they are (packed
   * halves are the file's little-endian fp16 sequence) */
  if ((dtype == SE_DTYPE_F16 && t->dtype == SE_DTYPE_F16) || (dtype == SE_DTYPE_F32 && t->dtype == SE_DTYPE_F32)) {
    if (!se_tensor_upload_raw (dev, se_safetensors_data (f, t), t->end - t->begin, error))
      return NULL;
    return g_steal_pointer (&dev);
  }
  g_autofree float *host = g_try_new (float, t->numel);
  if (host == NULL) {
    fail (error, SE_WEIGHTS_ERROR_IO, f->path, "out of host memory converting \"%s\"", t->name);
    return NULL;
  }
  se_safetensors_read_f32 (f, t, host);
  if (!se_tensor_upload (dev, host, error))
    return NULL;
  return g_steal_pointer (&dev);
}
