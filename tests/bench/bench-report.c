/* bench-report.c: benchmark rows to JSON with json-glib. */
#include "bench-report.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>

struct _BenchReport {
  JsonObject *root;
  JsonArray *rows;
  JsonObject *last;
};

BenchReport *
bench_report_new (const char *tool, const char *device)
{
  BenchReport *r = g_new0 (BenchReport, 1);
  r->root = json_object_new ();
  r->rows = json_array_new ();
  json_object_set_string_member (r->root, "tool", tool);
  json_object_set_string_member (r->root, "device", device);
  json_object_set_array_member (r->root, "rows", json_array_ref (r->rows));
  return r;
}

void
bench_report_free (BenchReport *r)
{
  if (r == NULL)
    return;
  json_array_unref (r->rows);
  json_object_unref (r->root);
  g_free (r);
}

void
bench_report_row (BenchReport *r, const char *name, ...)
{
  JsonObject *row = json_object_new ();
  json_object_set_string_member (row, "name", name);
  va_list ap;
  va_start (ap, name);
  for (const char *key = va_arg (ap, const char *); key; key = va_arg (ap, const char *))
    json_object_set_double_member (row, key, va_arg (ap, double));
  va_end (ap);
  json_array_add_object_element (r->rows, row);
  r->last = row;
}

void
bench_report_set (BenchReport *r, const char *key, const char *value)
{
  json_object_set_string_member (r->root, key, value);
}

void
bench_report_note (BenchReport *r, const char *key, const char *value)
{
  if (r->last)
    json_object_set_string_member (r->last, key, value);
}

gboolean
bench_report_write (BenchReport *r, const char *path, GError **error)
{
  if (path == NULL)
    return TRUE;
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), r->root);
  g_autofree char *text = json_to_string (node, TRUE);
  return g_file_set_contents (path, text, -1, error);
}
