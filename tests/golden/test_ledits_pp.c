/* test_ledits_pp.c: every public LEDITS++ run of
 * ../shared/reference/ledits_pp/ reproduced through the engine API with the
 * goldens' noise draws, fp32 weights and activations: the inversion (x0,
 * xts, zs), then every edit step's masks (attention sums, smoothed maps and
 * thresholds, cross-attention, noise and final masks: masks identical),
 * guidance and latent, the final latent (1e-4 relative, the bound;
 * the reference README measured at most 3.8e-5 for a float32 engine) and
 * the decoded image (2e-4).  A mismatch names the step and the quantity.
 *
 * fp32 only: like SEGA's, the masks' quantile thresholds flip under fp16
 * rounding. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "engine.h"
#include "golden.h"
#include "ledits/session-private.h"

#define LATENT_BOUND 1e-4
/* intermediate sums and thresholds carry the UNet's float32 rounding */
#define MAP_BOUND 1e-4
/* a step's guidance is a scaled difference of two predictions: the
 * cancellation lifts float32 rounding relative to its size (measured at
 * most 6.9e-5) */
#define GUIDANCE_BOUND 5e-4

static JsonObject *runs;

static char *
file_of (const char *run)
{
  return g_strdup_printf ("ledits_pp/ledits_pp_%s.safetensors", run);
}

static double *
read_doubles (const char *run, const char *tensor, gsize *numel)
{
  g_autofree char *file = file_of (run);
  g_autofree char *path = g_build_filename (se_test_reference_dir (), file, NULL);
  return se_test_read_doubles (path, tensor, numel);
}

/* The run's diffusers arguments as a recipe: steps = N, skip = N - n. */
static SeRecipe *
recipe_for (const char *run)
{
  JsonObject *o = json_object_get_object_member (runs, run);
  JsonObject *inv = json_object_get_object_member (o, "diffusers_invert_args");
  JsonObject *call = json_object_get_object_member (o, "diffusers_call_args");
  JsonObject *derived = json_object_get_object_member (o, "derived");
  SeRecipe *r = se_recipe_new_for (SE_METHOD_LEDITS_PP);
  guint n = (guint) json_object_get_int_member (inv, "num_inversion_steps");
  r->steps = (guint) json_object_get_int_member (derived, "num_total_steps");
  r->skip = r->steps - n;
  g_free (r->src);
  r->src = g_strdup (json_object_get_string_member (inv, "source_prompt"));
  r->cfg_src = json_object_get_double_member (inv, "source_guidance_scale");
  gboolean cross = json_object_get_boolean_member_with_default (call, "use_cross_attn_mask", FALSE);
  gboolean intersect = json_object_get_boolean_member_with_default (call, "use_intersect_mask", FALSE);
  r->masks = intersect ? SE_MASKS_INTERSECT : cross ? SE_MASKS_CROSS_ATTENTION : SE_MASKS_NOISE;
  JsonNode *prompts = json_object_get_member (call, "editing_prompt");
  if (JSON_NODE_HOLDS_NULL (prompts))
    return r;
  JsonArray *p = json_node_get_array (prompts);
  JsonArray *scale = json_object_get_array_member (call, "edit_guidance_scale");
  JsonArray *threshold = json_object_get_array_member (call, "edit_threshold");
  JsonArray *warmup = json_object_get_array_member (call, "edit_warmup_steps");
  JsonArray *reverse = json_object_get_array_member (call, "reverse_editing_direction");
  JsonNode *cool = json_object_get_member (call, "edit_cooldown_steps");
  JsonArray *ntok = json_object_get_array_member (derived, "num_edit_tokens");
  for (guint c = 0; c < json_array_get_length (p); c++) {
    SeConcept *k = se_recipe_add_concept (r, json_array_get_string_element (p, c));
    k->scale = json_array_get_double_element (scale, c);
    k->threshold = json_array_get_double_element (threshold, c);
    k->warmup = (guint) json_array_get_int_element (warmup, c);
    k->reverse = json_array_get_boolean_element (reverse, c);
    k->cooldown = JSON_NODE_HOLDS_NULL (cool) ? -1 : (gint) json_array_get_int_element (json_node_get_array (cool), c);
    /* 75 for every concept: diffusers with a fast tokenizer (quirk 4) */
    r->mask_padded_tokens = json_array_get_int_element (ntok, c) == 75;
  }
  g_autoptr (GError) error = NULL;
  g_assert_true (se_recipe_validate (r, &error));
  return r;
}

/* The goldens of one run, per step. */
typedef struct {
  const char *run;
  guint C, hw, aq, steps_seen;
  gsize n;
  double *attn_sum, *attn_smooth, *attn_threshold, *attn_mask, *noise_mask, *noise_threshold, *final_mask;
  double *concept_active, *noise_applied, *guidance, *edit_latents;
} Golden;

static void
assert_identical (const char *what, const double *got, const double *want, gsize n)
{
  gsize flips = 0, first = 0;
  for (gsize i = 0; i < n; i++)
    if (got[i] != want[i] && flips++ == 0)
      first = i;
  if (flips)
    g_error ("%s: %zu of %zu elements differ (first at %zu: %g, golden %g)", what, flips, n, first, got[first],
             want[first]);
}

static void
observe (const SePpStep *st, guint candidate, gpointer data)
{
  Golden *g = data;
  guint i = st->step, C = g->C;
  g_assert_cmpuint (candidate, ==, 0);
  g_assert_cmpuint (st->concepts, ==, C);
  for (guint c = 0; c < C; c++) {
    g_autofree char *w = g_strdup_printf ("%s: step %u, concept %u", g->run, i, c);
    gsize at = (gsize) i * C + c;
    g_assert_cmpint (st->active[c], ==, g->concept_active[at] != 0.0);
    g_assert_cmpint (st->noise_applied[c], ==, g->noise_applied[at] != 0.0);
    if (!st->active[c])
      continue;
    g_autofree char *ws = g_strconcat (w, ": attention sum", NULL);
    g_autofree char *wm = g_strconcat (w, ": smoothed attention", NULL);
    g_autofree char *wa = g_strconcat (w, ": cross-attention mask", NULL);
    g_autofree char *wn = g_strconcat (w, ": noise mask", NULL);
    g_autofree char *wf = g_strconcat (w, ": final mask", NULL);
    g_autofree char *wt = g_strconcat (w, ": attention threshold", NULL);
    g_autofree char *wq = g_strconcat (w, ": noise threshold", NULL);
    if (g->attn_sum) {
      se_test_assert_close (ws, st->attn_sum + c * g->aq, g->attn_sum + at * g->aq, g->aq, MAP_BOUND);
      se_test_assert_close (wm, st->attn_smooth + c * g->aq, g->attn_smooth + at * g->aq, g->aq, MAP_BOUND);
      se_test_assert_close (wt, st->attn_threshold + c, g->attn_threshold + at, 1, MAP_BOUND);
    }
    if (st->noise_applied[c])
      se_test_assert_close (wq, st->noise_threshold + c, g->noise_threshold + at, 1, MAP_BOUND);
    assert_identical (wa, st->attn_mask + c * g->hw, g->attn_mask + at * g->hw, g->hw);
    assert_identical (wn, st->noise_mask + c * g->hw, g->noise_mask + at * g->hw, g->hw);
    assert_identical (wf, st->final_mask + c * g->hw, g->final_mask + at * g->hw, g->hw);
  }
  g_autofree char *wg = g_strdup_printf ("%s: step %u: guidance", g->run, i);
  g_autofree char *wl = g_strdup_printf ("%s: step %u: latent", g->run, i);
  if (C > 0)
    se_test_assert_close (wg, st->guidance, g->guidance + (gsize) i * g->n, g->n, GUIDANCE_BOUND);
  se_test_assert_close (wl, st->latent, g->edit_latents + (gsize) i * g->n, g->n, LATENT_BOUND);
  g->steps_seen++;
}

static void
golden_clear (Golden *g)
{
  g_free (g->attn_sum);
  g_free (g->attn_smooth);
  g_free (g->attn_threshold);
  g_free (g->attn_mask);
  g_free (g->noise_mask);
  g_free (g->noise_threshold);
  g_free (g->final_mask);
  g_free (g->concept_active);
  g_free (g->noise_applied);
  g_free (g->guidance);
  g_free (g->edit_latents);
}

static void
run (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = file_of (name);
  g_autofree char *model_path = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) error = NULL;
  g_setenv ("SE_WEIGHTS_FP32", "1", TRUE);
  g_autoptr (SeEngine) engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SeModel) model = se_model_load (engine, model_path, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SeRecipe) r = recipe_for (name);
  /* the recipe survives its JSON form */
  g_autofree char *json = se_recipe_to_json (r);
  g_autoptr (SeRecipe) back = se_recipe_from_json (json, &error);
  g_assert_no_error (error);
  g_autofree char *again = se_recipe_to_json (back);
  g_assert_cmpstr (json, ==, again);

  gsize n;
  g_autoptr (SeSession) session = golden_session (model, file);
  gsize ln = se_session_latent_size (session);
  g_autofree double *x0 = read_doubles (name, "x0", NULL);
  g_autofree char *w0 = g_strdup_printf ("%s: x0", name);
  se_test_assert_close (w0, se_session_x0 (session), x0, ln, LATENT_BOUND);

  guint steps = r->steps - r->skip;
  g_autofree float *draws = golden_read (file, "draws_f32", &n, NULL);
  g_assert_cmpuint (n, ==, steps * ln);
  g_assert_true (se_session_invert (session, r, 0, 1, draws, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  guint count;
  const double *xts = se_session_xts (session, 0, &count);
  g_assert_cmpuint (count, ==, steps + 1);
  g_autofree double *gx = read_doubles (name, "xts", NULL);
  g_autofree char *wx = g_strdup_printf ("%s: xts", name);
  se_test_assert_close (wx, xts, gx, (steps + 1) * ln, LATENT_BOUND);
  /* ours are indexed by ascending time, the goldens' by step (zs[j] at T[j]) */
  const double *zs = se_session_zs (session, 0, &count);
  g_autofree double *gz = read_doubles (name, "zs", NULL);
  for (guint j = 0; j < steps; j++) {
    g_autofree char *wz = g_strdup_printf ("%s: zs at step %u", name, j);
    se_test_assert_close (wz, zs + (gsize) (steps - 1 - j) * ln, gz + (gsize) j * ln, ln, LATENT_BOUND);
  }

  Golden g = { .run = name, .C = r->concepts->len, .n = ln, .hw = (guint) (ln / 4) };
  g.aq = g.hw / 16;
  g.edit_latents = read_doubles (name, "edit_latents", NULL);
  if (g.C > 0) {
    g.guidance = read_doubles (name, "edit_guidance", NULL);
    g.attn_mask = read_doubles (name, "attn_mask", NULL);
    g.noise_mask = read_doubles (name, "noise_mask", NULL);
    g.noise_threshold = read_doubles (name, "noise_threshold", NULL);
    g.final_mask = read_doubles (name, "final_mask", NULL);
    g.concept_active = read_doubles (name, "concept_active", NULL);
    g.noise_applied = read_doubles (name, "noise_mask_applied", NULL);
    if (r->masks != SE_MASKS_NOISE) {
      g.attn_sum = read_doubles (name, "attn_sum", NULL);
      g.attn_smooth = read_doubles (name, "attn_smooth", NULL);
      g.attn_threshold = read_doubles (name, "attn_threshold", NULL);
    }
  }
  se_session_observe_pp (session, observe, &g);
  SeImage out;
  g_assert_true (se_session_edit (session, r, &out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g.steps_seen, ==, steps);
  golden_clear (&g);

  g_autofree double *latent = read_doubles (name, "latent", NULL);
  g_autofree char *wl = g_strdup_printf ("%s: final latent", name);
  se_test_assert_close (wl, se_session_latent (session, 0), latent, ln, LATENT_BOUND);
  g_autofree double *decoded = read_doubles (name, "decoded", &n);
  g_assert_cmpuint (n, ==, (gsize) 3 * out.width * out.height);
  g_autofree double *got = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    got[i] = out.data[i];
  g_free (out.data);
  g_autofree char *wd = g_strdup_printf ("%s: decoded", name);
  se_test_assert_close (wd, got, decoded, n, 2e-4);
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  runs = se_test_ledits_pp_runs ();
  static const char *const names[] = {
    "two_concepts", "cross_attn_only", "preview12", "noise_mask_only", "reconstruct", "two_concepts_fasttok",
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *t = g_strdup_printf ("/ledits-pp/%s", names[i]);
    g_test_add_data_func (t, names[i], run);
  }
  return g_test_run ();
}
