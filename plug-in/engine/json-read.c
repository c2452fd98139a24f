/* json-read.c: JSON texts checked for nesting depth, then parsed. */
#include "json-read.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* FALSE with error when text nests arrays and objects deeper than
 * SE_JSON_MAX_DEPTH; brackets inside strings (escapes included) do not
 * count.  Whether the text is valid JSON otherwise is json-glib's to say. */
static gboolean
depth_ok (const char *text, gsize length, GError **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < length; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > SE_JSON_MAX_DEPTH) {
        g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                     _("nested more than %d levels deep (at byte %zu)"), SE_JSON_MAX_DEPTH, i);
        return FALSE;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}

gboolean
se_json_load_data (JsonParser *parser, const char *text, gssize length, GError **error)
{
  gsize n = length < 0 ? strlen (text) : (gsize) length;
  return depth_ok (text, n, error) && json_parser_load_from_data (parser, text, (gssize) n, error);
}

gboolean
se_json_load_file (JsonParser *parser, const char *path, GError **error)
{
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return FALSE;
  const char *text = g_mapped_file_get_contents (file);
  return se_json_load_data (parser, text ? text : "", (gssize) g_mapped_file_get_length (file), error);
}
