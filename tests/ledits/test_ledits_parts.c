/* test_ledits_parts.c: the pieces of LEDITS on their own: the schedule
 * against schedule.json, the recipe format (defaults, round trip, every
 * refusal names its key), the preview's step scaling, torch.quantile's
 * interpolation, the seeded noise generator, and the least-squares fit of
 * the latent preview map. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ledits/latent-preview.h"
#include "ledits/recipe.h"
#include "ledits/rng.h"
#include "ledits/schedule.h"
#include "quantile-reference.h"
#include "test-util.h"

static void
test_schedule_matches_reference (void)
{
  g_autofree char *path = g_build_filename (se_test_reference_dir (), "schedule.json", NULL);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_file (p, path, &error));
  JsonObject *root = json_node_get_object (json_parser_get_root (p));
  JsonArray *ac = json_object_get_array_member (root, "alphas_cumprod");
  g_autoptr (SeSchedule) s50 = se_schedule_new (50);
  g_assert_cmpuint (json_array_get_length (ac), ==, SE_TRAIN_STEPS);
  double worst = 0.0;
  for (guint i = 0; i < SE_TRAIN_STEPS; i++)
    worst = fmax (worst, fabs (s50->alphas_cumprod[i] - json_array_get_double_element (ac, i)) /
                         json_array_get_double_element (ac, i));
  g_test_message ("alphas_cumprod: worst relative difference %.3g", worst);
  g_assert_cmpfloat (worst, ==, 0.0);            /* bit for bit */

  JsonObject *ts = json_object_get_object_member (root, "timesteps");
  const guint counts[] = { 10, 20, 50, 100 };
  for (guint c = 0; c < G_N_ELEMENTS (counts); c++) {
    g_autofree char *key = g_strdup_printf ("%u", counts[c]);
    JsonArray *want = json_object_get_array_member (ts, key);
    g_autoptr (SeSchedule) s = se_schedule_new (counts[c]);
    g_assert_cmpuint (json_array_get_length (want), ==, counts[c]);
    for (guint j = 0; j < counts[c]; j++)
      g_assert_cmpint (s->timesteps[j], ==, json_array_get_int_element (want, j));
  }
  JsonArray *var = json_object_get_array_member (root, "variance_50");
  for (guint j = 0; j < json_array_get_length (var); j++) {
    double want = json_array_get_double_element (var, j);
    g_assert_cmpfloat (fabs (se_schedule_variance (s50, s50->timesteps[j]) - want) / want, <, 1e-5);
  }
  /* 30 steps: 1000 / 30 = 33 */
  g_autoptr (SeSchedule) s30 = se_schedule_new (30);
  g_assert_cmpint (s30->timesteps[0], ==, 29 * 33 + 1);
  g_assert_cmpint (s30->timesteps[29], ==, 1);
}

static void
expect_refused (const char *json, const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) r = se_recipe_from_json (json, &error);
  g_assert_null (r);
  g_assert_error (error, SE_RECIPE_ERROR, 0);
  g_test_message ("%s -> %s", json, error->message);
  if (!strstr (error->message, key))
    g_error ("\"%s\" should name \"%s\"", error->message, key);
}

/* To JSON and back, and a copy, give the same recipe. */
static void
assert_round_trip (const SeRecipe *r)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = se_recipe_to_json (r);
  g_autoptr (SeRecipe) back = se_recipe_from_json (json, &error);
  g_assert_no_error (error);
  g_autofree char *again = se_recipe_to_json (back);
  g_assert_cmpstr (json, ==, again);
  g_autoptr (SeRecipe) copy = se_recipe_copy (r);
  g_autofree char *copied = se_recipe_to_json (copy);
  g_assert_cmpstr (json, ==, copied);
}

static void
test_recipe_format (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) d = se_recipe_from_json ("{}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (d->steps, ==, SE_RECIPE_STEPS);
  g_assert_cmpuint (d->skip, ==, SE_RECIPE_SKIP);
  g_assert_cmpfloat (d->cfg_tar, ==, SE_RECIPE_CFG_TAR);
  g_assert_cmpuint (d->concepts->len, ==, 0);
  g_assert_true (d->detail);

  g_autoptr (SeRecipe) r = se_recipe_from_json (
    "{\"steps\": 30, \"skip\": 6, \"src\": \"a cat\", \"tar\": \"a dog\", \"cfg_tar\": 12,"
    " \"concepts\": [{\"prompt\": \"glasses\", \"scale\": 6, \"threshold\": 0.9, \"warmup\": 1,"
    "  \"reverse\": true, \"cooldown\": 20, \"weight\": 0.5}, {\"prompt\": \"snow\"}],"
    " \"mom_scale\": 0.2, \"mom_beta\": 0.5, \"detail\": false}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->concepts->len, ==, 2);
  g_assert_false (r->detail);
  const SeConcept *c0 = &g_array_index (r->concepts, SeConcept, 0);
  const SeConcept *c1 = &g_array_index (r->concepts, SeConcept, 1);
  g_assert_true (c0->reverse);
  g_assert_cmpint (c0->cooldown, ==, 20);
  g_assert_cmpfloat (c0->weight, ==, 0.5);
  g_assert_cmpfloat (c1->scale, ==, SE_RECIPE_SCALE);
  g_assert_cmpint (c1->cooldown, ==, -1);
  assert_round_trip (r);

  expect_refused ("[1]", "JSON object");
  expect_refused ("{\"steps\": ", "not valid JSON");
  expect_refused ("{\"strength\": 3}", "\"strength\"");
  expect_refused ("{\"steps\": 2.5}", "\"steps\"");
  expect_refused ("{\"steps\": 1}", "\"steps\"");
  expect_refused ("{\"steps\": 20, \"skip\": 20}", "\"skip\"");
  expect_refused ("{\"cfg_tar\": \"high\"}", "\"cfg_tar\"");
  expect_refused ("{\"cfg_tar\": 80}", "\"cfg_tar\"");
  expect_refused ("{\"mom_beta\": 1.0}", "\"mom_beta\"");
  expect_refused ("{\"detail\": 1}", "\"detail\"");
  expect_refused ("{\"concepts\": {}}", "\"concepts\"");
  expect_refused ("{\"concepts\": [{\"scale\": 3}]}", "concepts[0]");
  expect_refused ("{\"concepts\": [{\"prompt\": \"\"}]}", "concepts[0]");
  expect_refused ("{\"concepts\": [{\"prompt\": \"a\"}, {\"prompt\": \"b\", \"threshold\": 2}]}", "concepts[1].threshold");
  expect_refused ("{\"concepts\": [{\"prompt\": \"a\", \"reverse\": 1}]}", "concepts[0].reverse");
  expect_refused ("{\"concepts\": [{\"prompt\": \"a\", \"colour\": 1}]}", "concepts[0].colour");
  expect_refused ("{\"method\": \"ledits+\"}", "\"method\"");
  expect_refused ("{\"method\": 2}", "\"method\"");
  expect_refused ("{\"method\": \"ledits++\", \"masks\": \"both\"}", "\"masks\"");
  expect_refused ("{\"method\": \"ledits++\", \"mask_tokens\": \"all\"}", "\"mask_tokens\"");
  expect_refused ("{\"method\": \"ledits++\", \"tar\": \"a dog\"}", "\"tar\"");
  expect_refused ("{\"method\": \"ledits++\", \"steps\": 1000}", "\"steps\"");
}

/* LEDITS++ recipes: the method's own defaults wherever a key is missing,
 * its keys kept through JSON, and its inverted step count. */
static void
test_recipe_ledits_pp (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) r = se_recipe_from_json (
    "{\"method\": \"ledits++\", \"masks\": \"cross-attention\", \"mask_tokens\": \"padded\","
    " \"concepts\": [{\"prompt\": \"glasses\"}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->method, ==, SE_METHOD_LEDITS_PP);
  g_assert_cmpint (r->masks, ==, SE_MASKS_CROSS_ATTENTION);
  g_assert_true (r->mask_padded_tokens);
  g_assert_cmpuint (r->steps, ==, SE_RECIPE_PP_STEPS);
  g_assert_cmpuint (r->skip, ==, SE_RECIPE_PP_SKIP);
  g_assert_cmpuint (se_recipe_inverted_steps (r), ==, 30);
  const SeConcept *c = &g_array_index (r->concepts, SeConcept, 0);
  g_assert_cmpfloat (c->scale, ==, SE_RECIPE_PP_SCALE);
  g_assert_cmpfloat (c->threshold, ==, SE_RECIPE_PP_THRESHOLD);
  g_assert_cmpuint (c->warmup, ==, SE_RECIPE_PP_WARMUP);
  assert_round_trip (r);
  /* a LEDITS recipe: all its steps are inverted; no method key means LEDITS */
  g_autoptr (SeRecipe) l = se_recipe_from_json ("{\"steps\": 20, \"skip\": 5}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (l->method, ==, SE_METHOD_LEDITS);
  g_assert_cmpuint (se_recipe_inverted_steps (l), ==, 20);
  g_assert_cmpstr (se_method_name (SE_METHOD_LEDITS_PP), ==, "ledits++");
}

/* A recipe nested 100000 deep (it would overflow json-glib's stack) and
 * one just inside the limit with a wrong shape: both clear refusals. */
static void
test_recipe_nested_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *deep = se_test_nested_json ("{\"concepts\": ", 100000, "}");
  g_assert_null (se_recipe_from_json (deep, &error));
  g_assert_error (error, SE_RECIPE_ERROR, 0);
  g_assert_nonnull (strstr (error->message, "nested more than 64 levels"));
  g_clear_error (&error);
  g_autofree char *inside = se_test_nested_json ("{\"concepts\": ", 63, "}");
  g_assert_null (se_recipe_from_json (inside, &error));
  g_assert_error (error, SE_RECIPE_ERROR, 0);
  g_assert_null (strstr (error->message, "nested"));
  /* numbers as they were written, not as json-glib would wrap them */
  g_clear_error (&error);
  g_assert_null (se_recipe_from_json ("{\"steps\": 18446744073709551616}", &error));
  g_assert_nonnull (strstr (error->message, "the number 18446744073709551616 (at byte 10) is too large"));
  g_clear_error (&error);
  g_assert_null (se_recipe_from_json ("{\"steps\": -9223372036854775809}", &error));
  g_assert_nonnull (strstr (error->message, "-9223372036854775809"));
  g_clear_error (&error);
  g_assert_null (se_recipe_from_json ("{\"steps\": 9223372036854775807}", &error));
  g_assert_nonnull (strstr (error->message, "\"steps\""));       /* fits: the recipe's own range check */
  g_clear_error (&error);
  g_autoptr (SeRecipe) big_float = se_recipe_from_json ("{\"cfg_tar\": 1.8446744073709551616e1}", &error);
  g_assert_no_error (error);
  /* a concept of only spaces, as the command line refuses it */
  g_assert_null (se_recipe_from_json ("{\"concepts\": [{\"prompt\": \" \\t \"}]}", &error));
  g_assert_nonnull (strstr (error->message, "the prompt is empty"));
  g_clear_error (&error);
  /* brackets inside strings do not count */
  g_autofree char *in_string = se_test_nested_json ("{\"tar\": \"", 1000, "\\\"\"}");
  g_autoptr (SeRecipe) r = se_recipe_from_json (in_string, NULL);
  g_assert_nonnull (r);
}

static void
test_quantile_interpolates (void)
{
  double v[] = { 5, 1, 4, 2, 3 }, scratch[5];
  g_assert_cmpfloat (ref_quantile (v, 5, 0.0, scratch), ==, 1.0);
  g_assert_cmpfloat (ref_quantile (v, 5, 1.0, scratch), ==, 5.0);
  g_assert_cmpfloat (ref_quantile (v, 5, 0.5, scratch), ==, 3.0);
  /* torch.quantile([1..5], 0.9) = 4 + 0.6 * (5 - 4) */
  g_assert_cmpfloat_with_epsilon (ref_quantile (v, 5, 0.9, scratch), 4.6, 1e-12);
  double one = 7.0;
  g_assert_cmpfloat (ref_quantile (&one, 1, 0.95, scratch), ==, 7.0);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* ref_quantile selects instead of sorting: the same value as sorting and
 * interpolating, bit for bit, on random data with and without ties, sorted,
 * reversed and constant runs. */
static void
test_quantile_matches_sorting (void)
{
  GRand *rng = g_rand_new_with_seed (11);
  const gsize sizes[] = { 2, 3, 4, 7, 64, 1000, 4096 };
  const double ps[] = { 0.0, 0.01, 0.5, 0.9, 0.95, 0.999, 1.0 };
  /* kinds: 0-19 random, 20-39 random with many ties, 40 sorted, 41
   * reversed, 42 constant */
  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (guint trial = 0; trial < 43; trial++) {
      guint kind = trial < 20 ? 0 : trial < 40 ? 1 : trial - 38;
      gsize n = sizes[si];
      g_autofree double *v = g_new (double, n), *sorted = g_new (double, n), *scratch = g_new (double, n);
      for (gsize i = 0; i < n; i++)
        v[i] = kind == 0 ? g_rand_double_range (rng, -3, 3)
             : kind == 1 ? (double) g_rand_int_range (rng, 0, 5)        /* many ties */
             : kind == 2 ? (double) i : kind == 3 ? (double) (n - i) : 2.5;
      memcpy (sorted, v, n * sizeof (double));
      qsort (sorted, n, sizeof (double), cmp_double);
      for (guint pi = 0; pi < G_N_ELEMENTS (ps); pi++) {
        double pos = ps[pi] * (double) (n - 1);
        gsize lo = (gsize) floor (pos), hi = MIN (lo + 1, n - 1);
        double w = pos - (double) lo;
        double want = w < 0.5 ? sorted[lo] + w * (sorted[hi] - sorted[lo])
                              : sorted[hi] - (1.0 - w) * (sorted[hi] - sorted[lo]);
        g_assert_cmpfloat (ref_quantile (v, n, ps[pi], scratch), ==, want);
      }
    }
  g_rand_free (rng);
}

static void
test_rng_is_seeded_normal (void)
{
  SeRng a, b, c;
  se_rng_init (&a, 42);
  se_rng_init (&b, 42);
  se_rng_init (&c, 43);
  double sum = 0.0, sq = 0.0;
  gboolean differs = FALSE;
  const int n = 200000;
  for (int i = 0; i < n; i++) {
    double x = se_rng_normal (&a);
    g_assert_cmpfloat (x, ==, se_rng_normal (&b));
    differs = differs || x != se_rng_normal (&c);
    sum += x;
    sq += x * x;
  }
  g_assert_true (differs);
  /* mean 0 and variance 1 within 5 standard errors */
  g_assert_cmpfloat (fabs (sum / n), <, 5.0 / sqrt (n));
  g_assert_cmpfloat (fabs (sq / n - 1.0), <, 5.0 * sqrt (2.0 / n));
  /* the documented sequence: first draw of seed 0 */
  SeRng z;
  se_rng_init (&z, 0);
  double first = se_rng_normal (&z);
  g_test_message ("seed 0, draw 0 = %.17g", first);
  g_assert_true (isfinite (first));
}

/* 50 steps with skip 15, warm-up 2, cool-down 40 at 12 steps: 3.6 -> 4,
 * 0.48 -> 0, 9.6 -> 10; more steps than the recipe's keep the recipe's. */
static void
test_recipe_with_steps (void)
{
  g_autoptr (SeRecipe) r = se_recipe_new ();
  SeConcept *c = se_recipe_add_concept (r, "snow");
  c->cooldown = 40;
  g_autoptr (SeRecipe) p = se_recipe_with_steps (r, 12);
  g_assert_cmpuint (p->steps, ==, 12);
  g_assert_cmpuint (p->skip, ==, 4);
  const SeConcept *pc = &g_array_index (p->concepts, SeConcept, 0);
  g_assert_cmpuint (pc->warmup, ==, 0);
  g_assert_cmpint (pc->cooldown, ==, 10);
  g_assert_cmpstr (pc->prompt, ==, "snow");
  g_assert_cmpfloat (pc->scale, ==, c->scale);
  g_assert_true (se_recipe_validate (p, NULL));
  g_autoptr (SeRecipe) same = se_recipe_with_steps (r, 80);
  g_assert_cmpuint (same->steps, ==, 50);
  g_assert_cmpuint (same->skip, ==, 15);
  /* skip stays below the steps however the rounding falls */
  r->steps = 3;
  r->skip = 2;
  c->warmup = 0;
  c->cooldown = -1;
  g_autoptr (SeRecipe) two = se_recipe_with_steps (r, 2);
  g_assert_cmpuint (two->skip, ==, 1);
  g_assert_true (se_recipe_validate (two, NULL));
}

/* An exact affine map is recovered; with noise, the residual is orthogonal
 * to every feature (the normal equations, checked independently); collinear
 * samples are refused. */
static void
test_fit_affine (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const guint in = 4, out = 3, n = 200;
  double A[3][5];
  for (guint o = 0; o < out; o++)
    for (guint i = 0; i <= in; i++)
      A[o][i] = g_rand_double_range (rand, -1, 1);
  g_autofree double *x = g_new (double, n * in), *y = g_new (double, n * out);
  for (guint s = 0; s < n; s++) {
    for (guint i = 0; i < in; i++)
      x[s * in + i] = g_rand_double_range (rand, -3, 3);
    for (guint o = 0; o < out; o++) {
      double v = A[o][in];
      for (guint i = 0; i < in; i++)
        v += A[o][i] * x[s * in + i];
      y[s * out + o] = v;
    }
  }
  double coef[3][5];
  g_assert_true (se_fit_affine (x, in, y, out, n, &coef[0][0]));
  se_test_assert_close ("exact affine map", &coef[0][0], &A[0][0], 15, 1e-12);

  for (guint s = 0; s < n * out; s++)
    y[s] += g_rand_double_range (rand, -0.5, 0.5);
  g_assert_true (se_fit_affine (x, in, y, out, n, &coef[0][0]));
  for (guint o = 0; o < out; o++) {
    double dot[5] = { 0 }, norm = 0;
    for (guint s = 0; s < n; s++) {
      double r = y[s * out + o] - coef[o][in];
      for (guint i = 0; i < in; i++)
        r -= coef[o][i] * x[s * in + i];
      for (guint i = 0; i < in; i++)
        dot[i] += r * x[s * in + i];
      dot[in] += r;
      norm += fabs (r);
    }
    for (guint i = 0; i <= in; i++)
      g_assert_cmpfloat (fabs (dot[i]), <, 1e-9 * norm);
  }

  for (guint s = 0; s < n; s++)
    x[s * in + 3] = 2.0 * x[s * in + 1] - x[s * in];
  g_assert_false (se_fit_affine (x, in, y, out, n, &coef[0][0]));
  g_assert_false (se_fit_affine (x, in, y, out, 4, &coef[0][0]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ledits/schedule-matches-reference", test_schedule_matches_reference);
  g_test_add_func ("/ledits/recipe-format", test_recipe_format);
  g_test_add_func ("/ledits/recipe-ledits++", test_recipe_ledits_pp);
  g_test_add_func ("/ledits/recipe-with-steps", test_recipe_with_steps);
  g_test_add_func ("/ledits/fit-affine", test_fit_affine);
  g_test_add_func ("/ledits/recipe-nested-json", test_recipe_nested_json);
  g_test_add_func ("/ledits/quantile-interpolates", test_quantile_interpolates);
  g_test_add_func ("/ledits/quantile-matches-sorting", test_quantile_matches_sorting);
  g_test_add_func ("/ledits/rng-is-seeded-normal", test_rng_is_seeded_normal);
  return g_test_run ();
}
