/* recipe.c: defaults, validation, JSON. */
#include "recipe.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "json-read.h"

G_DEFINE_QUARK (se-recipe-error-quark, se_recipe_error)

static void
clear_concept (gpointer p)
{
  g_free (((SeConcept *) p)->prompt);
}

static const char *const method_names[] = { "ledits", "ledits++" };
static const char *const mask_names[] = { "intersect", "cross-attention", "noise" };

const char *
se_method_name (SeMethod method)
{
  return method_names[method];
}

gboolean
se_method_from_name (const char *name, SeMethod *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (method_names); i++)
    if (g_strcmp0 (name, method_names[i]) == 0) {
      *out = (SeMethod) i;
      return TRUE;
    }
  return FALSE;
}

SeRecipe *
se_recipe_new_for (SeMethod method)
{
  gboolean pp = method == SE_METHOD_LEDITS_PP;
  SeRecipe *r = g_new0 (SeRecipe, 1);
  *r = (SeRecipe) {
    .steps = pp ? SE_RECIPE_PP_STEPS : SE_RECIPE_STEPS, .skip = pp ? SE_RECIPE_PP_SKIP : SE_RECIPE_SKIP,
    .src = g_strdup (""), .cfg_src = SE_RECIPE_CFG_SRC, .tar = g_strdup (""), .cfg_tar = SE_RECIPE_CFG_TAR,
    .mom_scale = SE_RECIPE_MOM_SCALE, .mom_beta = SE_RECIPE_MOM_BETA, .detail = TRUE, .method = method,
    .masks = SE_MASKS_INTERSECT,
  };
  r->concepts = g_array_new (FALSE, TRUE, sizeof (SeConcept));
  g_array_set_clear_func (r->concepts, clear_concept);
  return r;
}

SeRecipe *
se_recipe_new (void)
{
  return se_recipe_new_for (SE_METHOD_LEDITS);
}

SeConcept *
se_recipe_add_concept (SeRecipe *r, const char *prompt)
{
  gboolean pp = r->method == SE_METHOD_LEDITS_PP;
  SeConcept c = {
    .prompt = g_strdup (prompt), .scale = pp ? SE_RECIPE_PP_SCALE : SE_RECIPE_SCALE,
    .threshold = pp ? SE_RECIPE_PP_THRESHOLD : SE_RECIPE_THRESHOLD,
    .warmup = pp ? SE_RECIPE_PP_WARMUP : SE_RECIPE_WARMUP, .cooldown = -1, .reverse = FALSE, .weight = 1.0,
  };
  g_array_append_val (r->concepts, c);
  return &g_array_index (r->concepts, SeConcept, r->concepts->len - 1);
}

SeRecipe *
se_recipe_copy (const SeRecipe *r)
{
  SeRecipe *c = se_recipe_new ();
  g_free (c->src);
  g_free (c->tar);
  GArray *concepts = c->concepts;
  *c = *r;
  c->src = g_strdup (r->src);
  c->tar = g_strdup (r->tar);
  c->concepts = concepts;
  for (guint i = 0; i < r->concepts->len; i++) {
    const SeConcept *src = &g_array_index (r->concepts, SeConcept, i);
    SeConcept *d = se_recipe_add_concept (c, src->prompt);
    char *prompt = d->prompt;
    *d = *src;
    d->prompt = prompt;
  }
  return c;
}

/* round (v * to / from), for step counts */
static guint
scale_steps (guint v, guint to, guint from)
{
  return (guint) (((guint64) v * to + from / 2) / from);
}

SeRecipe *
se_recipe_with_steps (const SeRecipe *r, guint steps)
{
  SeRecipe *c = se_recipe_copy (r);
  guint from = r->steps;
  c->steps = MAX (2u, MIN (steps, from));
  c->skip = MIN (scale_steps (r->skip, c->steps, from), c->steps - 1);
  for (guint i = 0; i < c->concepts->len; i++) {
    SeConcept *k = &g_array_index (c->concepts, SeConcept, i);
    k->warmup = scale_steps (k->warmup, c->steps, from);
    if (k->cooldown >= 0)
      k->cooldown = (gint) scale_steps ((guint) k->cooldown, c->steps, from);
  }
  return c;
}

guint
se_recipe_inverted_steps (const SeRecipe *r)
{
  return r->method == SE_METHOD_LEDITS_PP ? r->steps - r->skip : r->steps;
}

/* Some character other than white space. */
static gboolean
has_text (const char *s)
{
  for (; s && *s; s++)
    if (!g_ascii_isspace (*s))
      return TRUE;
  return FALSE;
}

gboolean
se_recipe_changes (const SeRecipe *r)
{
  for (guint i = 0; i < r->concepts->len; i++)
    if (has_text (g_array_index (r->concepts, SeConcept, i).prompt))
      return TRUE;
  return r->method == SE_METHOD_LEDITS && has_text (r->tar);
}

void
se_recipe_free (SeRecipe *r)
{
  if (r == NULL)
    return;
  g_free (r->src);
  g_free (r->tar);
  g_array_unref (r->concepts);
  g_free (r);
}

static gboolean
bad (GError **error, const char *key, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
bad (GError **error, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SE_RECIPE_ERROR, 0, _("recipe key \"%s\": %s"), key, msg);
  return FALSE;
}

static gboolean
range (GError **error, const char *key, double v, double lo, double hi)
{
  if (v >= lo && v <= hi)
    return TRUE;
  return bad (error, key, _("%g is outside %g..%g"), v, lo, hi);
}

gboolean
se_recipe_validate (const SeRecipe *r, GError **error)
{
  if (!range (error, "steps", r->steps, 2, 1000) ||
      !range (error, "skip", r->skip, 0, r->steps - 1) ||
      !range (error, "cfg_src", r->cfg_src, 0, 50) ||
      !range (error, "cfg_tar", r->cfg_tar, 0, 50) ||
      !range (error, "mom_scale", r->mom_scale, 0, 10) ||
      !range (error, "mom_beta", r->mom_beta, 0, 0.999))
    return FALSE;
  if (r->method == SE_METHOD_LEDITS_PP) {
    /* the DPM-Solver's "leading" spacing steps by 1000 / (steps + 1) */
    if (!range (error, "steps", r->steps, 2, 999))
      return FALSE;
    if (*r->tar)
      return bad (error, "tar", _("LEDITS++ has no target prompt; describe the change with concepts"));
  }
  for (guint i = 0; i < r->concepts->len; i++) {
    const SeConcept *c = &g_array_index (r->concepts, SeConcept, i);
    g_autofree char *k = g_strdup_printf ("concepts[%u]", i);
    if (!has_text (c->prompt))
      return bad (error, k, _("the prompt is empty"));
    g_autofree char *ks = g_strconcat (k, ".scale", NULL);
    g_autofree char *kt = g_strconcat (k, ".threshold", NULL);
    g_autofree char *kw = g_strconcat (k, ".warmup", NULL);
    g_autofree char *kc = g_strconcat (k, ".cooldown", NULL);
    g_autofree char *kg = g_strconcat (k, ".weight", NULL);
    if (!range (error, ks, c->scale, 0, 100) || !range (error, kt, c->threshold, 0, 1) ||
        !range (error, kw, c->warmup, 0, r->steps) ||
        (c->cooldown >= 0 && !range (error, kc, c->cooldown, 0, r->steps)) ||
        !range (error, kg, c->weight, 0, 100))
      return FALSE;
  }
  return TRUE;
}

/* ---- JSON ---- */

static gboolean
get_number (JsonNode *n, const char *key, double *out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) == G_TYPE_STRING ||
      json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return bad (error, key, _("expected a number"));
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
get_count (JsonNode *n, const char *key, guint *out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return bad (error, key, _("expected a whole number"));
  gint64 v = json_node_get_int (n);
  if (v < 0 || v > 100000)
    return bad (error, key, _("%lld is out of range"), (long long) v);
  *out = (guint) v;
  return TRUE;
}

static gboolean
get_string (JsonNode *n, const char *key, char **out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return bad (error, key, _("expected a string"));
  g_free (*out);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_bool (JsonNode *n, const char *key, gboolean *out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return bad (error, key, _("expected true or false"));
  *out = json_node_get_boolean (n);
  return TRUE;
}

/* One of names, as its index. */
static gboolean
get_choice (JsonNode *n, const char *key, const char *const *names, guint count, guint *out, GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string (n, key, &v, error))
    return FALSE;
  for (guint i = 0; i < count; i++)
    if (strcmp (v, names[i]) == 0) {
      *out = i;
      return TRUE;
    }
  g_autoptr (GString) list = g_string_new (names[0]);
  for (guint i = 1; i < count; i++)
    g_string_append_printf (list, ", %s", names[i]);
  return bad (error, key, _("\"%s\" is not one of %s"), v, list->str);
}

static gboolean
parse_concept (JsonNode *node, guint index, SeRecipe *r, GError **error)
{
  g_autofree char *k = g_strdup_printf ("concepts[%u]", index);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, k, _("expected an object"));
  JsonObject *o = json_node_get_object (node);
  JsonNode *prompt = json_object_get_member (o, "prompt");
  if (prompt == NULL)
    return bad (error, k, _("\"prompt\" is missing"));
  SeConcept *c = se_recipe_add_concept (r, "");
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next) {
    const char *name = l->data;
    JsonNode *v = json_object_get_member (o, name);
    g_autofree char *key = g_strdup_printf ("%s.%s", k, name);
    gboolean ok;
    guint count;
    if (strcmp (name, "prompt") == 0)
      ok = get_string (v, key, &c->prompt, error);
    else if (strcmp (name, "scale") == 0)
      ok = get_number (v, key, &c->scale, error);
    else if (strcmp (name, "threshold") == 0)
      ok = get_number (v, key, &c->threshold, error);
    else if (strcmp (name, "warmup") == 0)
      ok = get_count (v, key, &c->warmup, error);
    else if (strcmp (name, "reverse") == 0)
      ok = get_bool (v, key, &c->reverse, error);
    else if (strcmp (name, "weight") == 0)
      ok = get_number (v, key, &c->weight, error);
    else if (strcmp (name, "cooldown") == 0) {
      ok = JSON_NODE_HOLDS_NULL (v) ? (c->cooldown = -1, TRUE) : get_count (v, key, &count, error);
      if (ok && !JSON_NODE_HOLDS_NULL (v))
        c->cooldown = (gint) count;
    } else
      ok = bad (error, key, _("unknown key (a concept has prompt, scale, threshold, warmup, "
                              "reverse, cooldown, weight)"));
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

SeRecipe *
se_recipe_from_json (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  if (!se_json_load_data (parser, json, -1, &err)) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("the recipe is not valid JSON: %s"), err->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, SE_RECIPE_ERROR, 0, _("the recipe must be a JSON object"));
    return NULL;
  }
  JsonObject *o = json_node_get_object (root);
  /* the method first: the other keys' defaults depend on it */
  SeMethod method = SE_METHOD_LEDITS;
  JsonNode *m = json_object_get_member (o, "method");
  g_autofree char *method_name = NULL;
  if (m && !get_string (m, "method", &method_name, error))
    return NULL;
  if (m && !se_method_from_name (method_name, &method)) {
    bad (error, "method", _("\"%s\" is not a method (ledits, ledits++)"), method_name);
    return NULL;
  }
  g_autoptr (SeRecipe) r = se_recipe_new_for (method);
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next) {
    const char *key = l->data;
    JsonNode *v = json_object_get_member (o, key);
    gboolean ok;
    if (strcmp (key, "steps") == 0)
      ok = get_count (v, key, &r->steps, error);
    else if (strcmp (key, "skip") == 0)
      ok = get_count (v, key, &r->skip, error);
    else if (strcmp (key, "src") == 0)
      ok = get_string (v, key, &r->src, error);
    else if (strcmp (key, "tar") == 0)
      ok = get_string (v, key, &r->tar, error);
    else if (strcmp (key, "cfg_src") == 0)
      ok = get_number (v, key, &r->cfg_src, error);
    else if (strcmp (key, "cfg_tar") == 0)
      ok = get_number (v, key, &r->cfg_tar, error);
    else if (strcmp (key, "mom_scale") == 0)
      ok = get_number (v, key, &r->mom_scale, error);
    else if (strcmp (key, "mom_beta") == 0)
      ok = get_number (v, key, &r->mom_beta, error);
    else if (strcmp (key, "detail") == 0)
      ok = get_bool (v, key, &r->detail, error);
    else if (strcmp (key, "method") == 0)
      ok = TRUE;
    else if (strcmp (key, "masks") == 0)
      ok = get_choice (v, key, mask_names, G_N_ELEMENTS (mask_names), (guint *) &r->masks, error);
    else if (strcmp (key, "mask_tokens") == 0) {
      static const char *const tokens[] = { "prompt", "padded" };
      guint padded = 0;
      ok = get_choice (v, key, tokens, G_N_ELEMENTS (tokens), &padded, error);
      r->mask_padded_tokens = padded == 1;
    } else if (strcmp (key, "concepts") == 0) {
      ok = JSON_NODE_HOLDS_ARRAY (v) || bad (error, key, _("expected a list"));
      JsonArray *a = ok ? json_node_get_array (v) : NULL;
      for (guint i = 0; ok && i < json_array_get_length (a); i++)
        ok = parse_concept (json_array_get_element (a, i), i, r, error);
    } else
      ok = bad (error, key, _("unknown key (a recipe has method, steps, skip, src, cfg_src, tar, "
                              "cfg_tar, concepts, mom_scale, mom_beta, masks, mask_tokens, detail)"));
    if (!ok)
      return NULL;
  }
  if (!se_recipe_validate (r, error))
    return NULL;
  return g_steal_pointer (&r);
}

char *
se_recipe_to_json (const SeRecipe *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, se_method_name (r->method));
  json_builder_set_member_name (b, "steps");
  json_builder_add_int_value (b, r->steps);
  json_builder_set_member_name (b, "skip");
  json_builder_add_int_value (b, r->skip);
  json_builder_set_member_name (b, "src");
  json_builder_add_string_value (b, r->src);
  json_builder_set_member_name (b, "cfg_src");
  json_builder_add_double_value (b, r->cfg_src);
  json_builder_set_member_name (b, "tar");
  json_builder_add_string_value (b, r->tar);
  json_builder_set_member_name (b, "cfg_tar");
  json_builder_add_double_value (b, r->cfg_tar);
  json_builder_set_member_name (b, "concepts");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->concepts->len; i++) {
    const SeConcept *c = &g_array_index (r->concepts, SeConcept, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "prompt");
    json_builder_add_string_value (b, c->prompt);
    json_builder_set_member_name (b, "scale");
    json_builder_add_double_value (b, c->scale);
    json_builder_set_member_name (b, "threshold");
    json_builder_add_double_value (b, c->threshold);
    json_builder_set_member_name (b, "warmup");
    json_builder_add_int_value (b, c->warmup);
    json_builder_set_member_name (b, "reverse");
    json_builder_add_boolean_value (b, c->reverse);
    if (c->cooldown >= 0) {
      json_builder_set_member_name (b, "cooldown");
      json_builder_add_int_value (b, c->cooldown);
    }
    json_builder_set_member_name (b, "weight");
    json_builder_add_double_value (b, c->weight);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "mom_scale");
  json_builder_add_double_value (b, r->mom_scale);
  json_builder_set_member_name (b, "mom_beta");
  json_builder_add_double_value (b, r->mom_beta);
  json_builder_set_member_name (b, "detail");
  json_builder_add_boolean_value (b, r->detail);
  if (r->method == SE_METHOD_LEDITS_PP) {
    json_builder_set_member_name (b, "masks");
    json_builder_add_string_value (b, mask_names[r->masks]);
    json_builder_set_member_name (b, "mask_tokens");
    json_builder_add_string_value (b, r->mask_padded_tokens ? "padded" : "prompt");
  }
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, TRUE);
}
