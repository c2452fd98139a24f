/* last-values.c: the dialog's last values (last-values.h). */
#include "last-values.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "json-read.h"

void
se_last_values_load (SeLastValues *v, const char *path)
{
  *v = (SeLastValues) { .candidates = 1, .live_preview = TRUE };
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!se_json_load_file (p, path, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    return;
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  if (json_object_has_member (o, "model"))
    v->model = g_strdup (json_object_get_string_member (o, "model"));
  if (json_object_has_member (o, "recipe"))
    v->recipe = json_to_string (json_object_get_member (o, "recipe"), FALSE);
  if (json_object_has_member (o, "seed"))
    v->seed = (gint32) json_object_get_int_member (o, "seed");
  v->live_preview = !json_object_has_member (o, "live_preview") ||
                    json_object_get_boolean_member (o, "live_preview");
  if (json_object_has_member (o, "candidates"))
    v->candidates = (guint) CLAMP (json_object_get_int_member (o, "candidates"), 1, 8);
}

void
se_last_values_save (const SeLastValues *v, const SeRecipe *recipe, const char *path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, v->model);
  g_autofree char *json = se_recipe_to_json (recipe);
  json_builder_set_member_name (b, "recipe");
  json_builder_add_value (b, json_from_string (json, NULL));
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, v->seed);
  json_builder_set_member_name (b, "candidates");
  json_builder_add_int_value (b, MAX (v->candidates, 1u));
  json_builder_set_member_name (b, "live_preview");
  json_builder_add_boolean_value (b, v->live_preview);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, TRUE);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (path, text, -1, &error))
    g_printerr (_("semantic-edit: cannot save the last values: %s\n"), error->message);
}

void
se_last_values_clear (SeLastValues *v)
{
  g_clear_pointer (&v->model, g_free);
  g_clear_pointer (&v->recipe, g_free);
}
