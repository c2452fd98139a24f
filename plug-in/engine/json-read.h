/* json-read.h: every JSON text the program reads (recipes, model configs,
 * the tokenizer's vocabulary, safetensors headers, tuning tables, the GIMP
 * plug-in's settings and edit records) goes through here.  json-glib parses
 * recursively with no depth limit, so a few hundred KB of brackets
 * overflow the stack: the text's nesting is counted first (outside
 * strings) and a text deeper than SE_JSON_MAX_DEPTH is refused before
 * json-glib sees it. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Far deeper than any JSON we read legitimately nests (4 levels). */
#define SE_JSON_MAX_DEPTH 64

/* json_parser_load_from_data (length -1: NUL-terminated) after the depth
 * check; errors in JSON_PARSER_ERROR. */
gboolean se_json_load_data (JsonParser *parser, const char *text, gssize length, GError **error);
/* The same for a whole file (mapped, not copied). */
gboolean se_json_load_file (JsonParser *parser, const char *path, GError **error);

G_END_DECLS
