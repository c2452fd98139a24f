/* safetensors_write.c: header building and file writing. */
#include "safetensors_write.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

typedef struct {
  char *name;
  SeDType dtype;
  guint ndim;
  gint64 shape[8];
  GBytes *data;
} Entry;

struct _SeSafetensorsWriter {
  GArray *entries;
};

static void
clear_entry (gpointer p)
{
  Entry *e = p;
  g_free (e->name);
  g_bytes_unref (e->data);
}

SeSafetensorsWriter *
se_safetensors_writer_new (void)
{
  SeSafetensorsWriter *w = g_new0 (SeSafetensorsWriter, 1);
  w->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (w->entries, clear_entry);
  return w;
}

void
se_safetensors_writer_free (SeSafetensorsWriter *w)
{
  if (w == NULL)
    return;
  g_array_unref (w->entries);
  g_free (w);
}

static gsize
numel (guint ndim, const gint64 *shape)
{
  gsize n = 1;
  for (guint i = 0; i < ndim; i++)
    n *= (gsize) shape[i];
  return n;
}

void
se_safetensors_writer_add (SeSafetensorsWriter *w, const char *name, SeDType dtype, guint ndim,
                           const gint64 *shape, const void *data)
{
  g_return_if_fail (ndim <= 8);
  Entry e = { g_strdup (name), dtype, ndim, { 0 }, NULL };
  memcpy (e.shape, shape, ndim * sizeof (gint64));
  e.data = g_bytes_new (data, numel (ndim, shape) * se_dtype_size (dtype));
  g_array_append_val (w->entries, e);
}

void
se_safetensors_writer_add_f32 (SeSafetensorsWriter *w, const char *name, SeDType dtype, guint ndim,
                               const gint64 *shape, const float *data)
{
  gsize n = numel (ndim, shape);
  if (dtype == SE_DTYPE_F32) {
    se_safetensors_writer_add (w, name, dtype, ndim, shape, data);
    return;
  }
  g_return_if_fail (dtype == SE_DTYPE_F16 || dtype == SE_DTYPE_BF16);
  g_autofree guint16 *h = g_new (guint16, n);
  for (gsize i = 0; i < n; i++) {
    if (dtype == SE_DTYPE_F16) {
      h[i] = se_float_to_half (data[i]);
    } else {
      guint32 x;
      memcpy (&x, &data[i], 4);
      h[i] = (guint16) ((x + 0x7fff + ((x >> 16) & 1)) >> 16);   /* round to nearest even */
    }
  }
  se_safetensors_writer_add (w, name, dtype, ndim, shape, h);
}

gboolean
se_safetensors_writer_save (SeSafetensorsWriter *w, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  guint64 offset = 0;
  for (guint i = 0; i < w->entries->len; i++) {
    Entry *e = &g_array_index (w->entries, Entry, i);
    gsize size = g_bytes_get_size (e->data), align = se_dtype_size (e->dtype);
    offset = (offset + align - 1) / align * align;
    json_builder_set_member_name (b, e->name);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "dtype");
    json_builder_add_string_value (b, se_dtype_name (e->dtype));
    json_builder_set_member_name (b, "shape");
    json_builder_begin_array (b);
    for (guint d = 0; d < e->ndim; d++)
      json_builder_add_int_value (b, e->shape[d]);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "data_offsets");
    json_builder_begin_array (b);
    json_builder_add_int_value (b, (gint64) offset);
    json_builder_add_int_value (b, (gint64) (offset + size));
    json_builder_end_array (b);
    json_builder_end_object (b);
    offset += size;
  }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  gsize hlen;
  g_autofree char *header = json_generator_to_data (gen, &hlen);
  gsize padded = (hlen + 7) / 8 * 8;

  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (out == NULL)
    return FALSE;
  GOutputStream *s = G_OUTPUT_STREAM (out);
  guint64 le = GUINT64_TO_LE ((guint64) padded);
  static const char spaces[8] = "        ";
  static const char zeros[8] = { 0 };
  if (!g_output_stream_write_all (s, &le, 8, NULL, NULL, error) ||
      !g_output_stream_write_all (s, header, hlen, NULL, NULL, error) ||
      !g_output_stream_write_all (s, spaces, padded - hlen, NULL, NULL, error))
    return FALSE;
  offset = 0;
  for (guint i = 0; i < w->entries->len; i++) {
    Entry *e = &g_array_index (w->entries, Entry, i);
    gsize size, align = se_dtype_size (e->dtype);
    const void *data = g_bytes_get_data (e->data, &size);
    guint64 aligned = (offset + align - 1) / align * align;
    if (!g_output_stream_write_all (s, zeros, aligned - offset, NULL, NULL, error) ||
        !g_output_stream_write_all (s, data, size, NULL, NULL, error))
      return FALSE;
    offset = aligned + size;
  }
  return g_output_stream_close (s, NULL, error);
}
