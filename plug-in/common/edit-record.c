/* edit-record.c: the result layer's record as JSON (edit-record.h). */
#include "edit-record.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "json-read.h"

#define RECORD_VERSION 1

void
se_edit_record_clear (SeEditRecord *r)
{
  g_clear_pointer (&r->model, g_free);
  g_clear_pointer (&r->recipe, se_recipe_free);
}

char *
se_edit_record_to_json (const SeEditRecord *rec)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, RECORD_VERSION);
  g_autofree char *recipe = se_recipe_to_json (rec->recipe);
  json_builder_set_member_name (b, "recipe");
  json_builder_add_value (b, json_from_string (recipe, NULL));
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rec->model);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, rec->seed);
  json_builder_set_member_name (b, "candidate");
  json_builder_add_int_value (b, rec->candidate);
  json_builder_set_member_name (b, "working_size");
  json_builder_add_int_value (b, rec->working_size);
  json_builder_set_member_name (b, "source_tattoo");
  json_builder_add_int_value (b, rec->source_tattoo);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static gboolean
unreadable (GError **error, const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("This layer's Semantic Edit record cannot be read (%s). Select the layer the edit was "
                 "made from and run Semantic Edit on it."), why);
  return FALSE;
}

static gboolean
get_int (JsonObject *o, const char *key, gint64 lo, gint64 hi, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return *out >= lo && *out <= hi;
}

gboolean
se_edit_record_from_json (const char *data, gsize size, SeEditRecord *rec, GError **error)
{
  memset (rec, 0, sizeof *rec);
  g_autofree char *text = g_strndup (data, size);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  if (!se_json_load_data (parser, text, -1, &parse_error))
    return unreadable (error, parse_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return unreadable (error, _("not a JSON object"));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  gint64 version, seed, candidate, size_px, tattoo;
  if (!get_int (o, "version", 1, RECORD_VERSION, &version))
    return unreadable (error, _("a version this plug-in does not know"));
  if (!get_int (o, "seed", G_MININT32, G_MAXINT32, &seed) || !get_int (o, "candidate", 0, 63, &candidate) ||
      !get_int (o, "working_size", 64, SE_MAX_WORKING_SIDE, &size_px) || !get_int (o, "source_tattoo", 1, G_MAXINT32, &tattoo))
    return unreadable (error, _("a number is missing or out of range"));
  JsonNode *model = json_object_get_member (o, "model"), *recipe = json_object_get_member (o, "recipe");
  if (model == NULL || json_node_get_value_type (model) != G_TYPE_STRING || recipe == NULL ||
      !JSON_NODE_HOLDS_OBJECT (recipe))
    return unreadable (error, _("the model or the recipe is missing"));
  g_autofree char *recipe_json = json_to_string (recipe, FALSE);
  g_autoptr (GError) recipe_error = NULL;
  SeRecipe *r = se_recipe_from_json (recipe_json, &recipe_error);
  if (r == NULL)
    return unreadable (error, recipe_error->message);
  *rec = (SeEditRecord) { g_strdup (json_node_get_string (model)), r, (gint32) seed, (guint) candidate,
                          (guint) size_px, (gint32) tattoo };
  return TRUE;
}
