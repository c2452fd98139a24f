/* json-read.c: JSON texts checked for nesting depth, then parsed. */
#include "json-read.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* FALSE with error when the integer literal at text[0..n) (digits after an
 * optional minus) does not fit in 64 bits, which json-glib would wrap
 * silently ("steps": 18446744073709551616 read as -1). */
static gboolean
integer_fits (const char *text, gsize n, gsize at, GError **error)
{
  const char *digits = text[0] == '-' ? text + 1 : text;
  gsize nd = n - (gsize) (digits - text);
  const char *max = text[0] == '-' ? "9223372036854775808" : "9223372036854775807";
  while (nd > 1 && digits[0] == '0') {
    digits++;
    nd--;
  }
  if (nd < 19 || (nd == 19 && strncmp (digits, max, 19) <= 0))
    return TRUE;
  g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
               _("the number %.*s (at byte %zu) is too large"), (int) MIN (n, 40), text, at);
  return FALSE;
}

/* FALSE with error when text nests arrays and objects deeper than
 * SE_JSON_MAX_DEPTH (brackets inside strings, escapes included, do not
 * count) or holds an integer too large for 64 bits.  Whether the text is
 * valid JSON otherwise is json-glib's to say. */
static gboolean
text_ok (const char *text, gsize length, GError **error)
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
    } else if (c == '-' || g_ascii_isdigit (c)) {
      /* a number: an integer unless a fraction or exponent follows */
      gsize end = i + 1;
      while (end < length && g_ascii_isdigit (text[end]))
        end++;
      gboolean integer = end == length || (text[end] != '.' && text[end] != 'e' && text[end] != 'E');
      if (integer && !integer_fits (text + i, end - i, i, error))
        return FALSE;
      while (end < length && (g_ascii_isdigit (text[end]) || strchr (".eE+-", text[end])))
        end++;
      i = end - 1;
    }
  }
  return TRUE;
}

gboolean
se_json_load_data (JsonParser *parser, const char *text, gssize length, GError **error)
{
  gsize n = length < 0 ? strlen (text) : (gsize) length;
  return text_ok (text, n, error) && json_parser_load_from_data (parser, text, (gssize) n, error);
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
