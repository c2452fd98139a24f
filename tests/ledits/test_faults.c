/* test_faults.c: every allocation and every queue submission of a small
 * whole edit (LEDITS, then LEDITS++) fails once, in turn, as SQLite's tests do for malloc (fault.h).
 *
 * For each point N of a fault-free run's count: inject the fault at N, run
 * again, and require a clear error of the right kind, no device memory
 * left held (the model's weights only), and, under ASan, no host leak.
 * The next run must work: after an injected device loss that means the
 * device and the model's networks are re-created on next use (done before
 * the counting starts, so that the points walked are the edit's own).
 * When the walk is over, an undisturbed run (which re-creates the device
 * after the last loss itself) must give the first run's result.
 * Model loading is walked the same way, and a session inverted before a
 * device loss carries on after it without being encoded again.  Under
 * AddressSanitizer the walks fail every distinct call site and a seeded
 * sample of the other points (points_to_walk). */
#include <execinfo.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "fault.h"
#include "ledits/session-private.h"
#include "test-util.h"

static SeEngine *engine;
static SeModel *model;
static char *model_dir;

static SeImage
test_image (void)
{
  SeImage img = { 64, 64, g_new (float, 3 * 64 * 64) };
  for (gsize i = 0; i < 3 * 64 * 64; i++)
    img.data[i] = (float) sin ((double) i * 0.013) * 0.8f;
  return img;
}

/* Which points a walk fails.  The normal build walks every point.  Under
 * AddressSanitizer a run costs several times as much (a model load over
 * a second), so there the walk fails every distinct call site (the
 * innermost frames of the stack that counted the point) at its first
 * point, which reaches each failure path our code has, and a sample of
 * walk_sample more points drawn with a fixed seed, which reaches the same paths
 * with other things already allocated; the last point is always walked.
 * SE_TEST_FULL=1 walks every point there too. */
#if defined(__SANITIZE_ADDRESS__)
static guint walk_sample = 24;          /* SE_TEST_FULL=1: 0 */
#else
static guint walk_sample = 0;           /* every point */
#endif

static struct {
  GMutex lock;
  SeFaultKind kind;
  GArray *sites;                /* guint per point: a hash of its call stack */
} observed;

static void
record_site (SeFaultKind kind, guint n)
{
  if (kind != observed.kind)
    return;
  void *frames[10];
  int depth = backtrace (frames, G_N_ELEMENTS (frames));
  guint hash = 5381;
  for (int i = 0; i < depth; i++)
    hash = hash * 33 + (guint) (guintptr) frames[i];
  g_mutex_lock (&observed.lock);
  if (observed.sites->len < n)
    g_array_set_size (observed.sites, n);
  g_array_index (observed.sites, guint, n - 1) = hash;
  g_mutex_unlock (&observed.lock);
}

/* Starts recording the call sites of the points of `kind` (only when the
 * walk samples: walking every point needs no sites). */
static void
observe_sites (SeFaultKind kind)
{
  if (walk_sample == 0)
    return;
  if (observed.sites == NULL)
    observed.sites = g_array_new (FALSE, TRUE, sizeof (guint));
  g_array_set_size (observed.sites, 0);
  observed.kind = kind;
  se_fault_observe (record_site);
}

/* Stops recording; the points of 1..`points` to fail, ascending. */
static GArray *
points_to_walk (guint points)
{
  se_fault_observe (NULL);
  GArray *walk = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree gboolean *chosen = g_new0 (gboolean, points + 1);
  if (walk_sample == 0) {
    for (guint n = 1; n <= points; n++)
      chosen[n] = TRUE;
  } else {
    g_assert_cmpuint (observed.sites->len, ==, points);
    g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
    for (guint n = 1; n <= points; n++) {
      guint site = g_array_index (observed.sites, guint, n - 1);
      if (g_hash_table_add (seen, GUINT_TO_POINTER (site)))
        chosen[n] = TRUE;
    }
    g_autoptr (GRand) rand = g_rand_new_with_seed (20261206);
    for (guint k = 0; k < walk_sample; k++)
      chosen[g_rand_int_range (rand, 1, (gint32) points + 1)] = TRUE;
    chosen[points] = TRUE;
    g_print ("# %u distinct call sites among %u points\n", g_hash_table_size (seen), points);
  }
  for (guint n = 1; n <= points; n++)
    if (chosen[n])
      g_array_append_val (walk, n);
  return walk;
}

/* A whole edit: encode, then invert, edit and decode with LEDITS and with
 * LEDITS++ (attention masks: the captured evaluation).  NULL and out[0],
 * out[1] on success; nothing in out on failure. */
static GError *
run_edit (SeImage out[2])
{
  GError *error = NULL;
  SeImage img = test_image ();
  g_autofree float *data = img.data;
  g_autoptr (SeSession) s = se_session_new (model, &img, &error);
  g_autoptr (SeRecipe) r = se_test_snowy_recipe (2);
  g_autoptr (SeRecipe) pp = se_recipe_copy (r);
  pp->method = SE_METHOD_LEDITS_PP;
  SeImage first = { 0 };
  if (s == NULL || !se_session_invert (s, r, 7, 1, NULL, NULL, NULL, NULL, &error) ||
      !se_session_edit (s, r, &first, NULL, NULL, NULL, &error))
    return error;
  if (!se_session_invert (s, pp, 7, 1, NULL, NULL, NULL, NULL, &error) ||
      !se_session_edit (s, pp, &out[1], NULL, NULL, NULL, &error)) {
    g_free (first.data);
    return error;
  }
  out[0] = first;
  return NULL;
}

static void
assert_same_image (const SeImage *got, const SeImage *want)
{
  g_assert_cmpuint (got->width, ==, want->width);
  g_assert_cmpuint (got->height, ==, want->height);
  gsize n = 3 * (gsize) got->width * got->height;
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) got->data[i] - want->data[i]));
  g_test_message ("largest difference from the undisturbed run: %g", worst);
  g_assert_cmpfloat (worst, ==, 0.0);
}

static void
assert_same_images (const SeImage got[2], const SeImage want[2])
{
  for (guint k = 0; k < 2; k++)
    assert_same_image (&got[k], &want[k]);
}

/* Walks a fault over the points of the run (points_to_walk); returns how
 * many were walked, and in *total how many the run has. */
static guint
walk (SeFaultKind kind, SeGpuError expected, guint *total)
{
  SeImage first[2] = { 0 };
  se_fault_arm (SE_FAULT_NONE, 0);
  observe_sites (kind);
  g_autoptr (GError) clean = run_edit (first);
  g_assert_no_error (clean);
  guint points = kind == SE_FAULT_ALLOC ? se_fault_allocs () : se_fault_submits ();
  VkDeviceSize weights = se_memory_in_use (engine->gpu);
  g_assert_cmpuint (points, >, 0);
  g_autoptr (GArray) chosen = points_to_walk (points);

  for (guint i = 0; i < chosen->len; i++) {
    guint n = g_array_index (chosen, guint, i);
    /* what the run's first call would do after the last point's loss,
     * before counting, so that the points are the edit's own */
    g_autoptr (GError) ready = NULL;
    g_assert_true (se_model_ready (model, &ready));
    g_assert_no_error (ready);
    se_fault_arm (kind, n);
    SeImage out[2] = { 0 };
    g_autoptr (GError) error = run_edit (out);
    if (error == NULL)
      g_error ("%s %u of %u: the run succeeded", kind == SE_FAULT_ALLOC ? "allocation" : "submission", n, points);
    g_assert_true (se_fault_fired ());
    g_assert_null (out[0].data);
    g_assert_null (out[1].data);
    if (!g_error_matches (error, SE_GPU_ERROR, (gint) expected))
      g_error ("point %u: unexpected error: %s", n, error->message);
    g_assert_cmpuint (strlen (error->message), >, 10);
    if (n == 1 || n == points)
      g_test_message ("point %u of %u: %s", n, points, error->message);
    if (kind == SE_FAULT_ALLOC)
      g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, weights);
  }

  se_fault_arm (SE_FAULT_NONE, 0);
  SeImage again[2] = { 0 };
  g_autoptr (GError) after = run_edit (again);
  g_assert_no_error (after);
  assert_same_images (again, first);
  g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, weights);
  for (guint k = 0; k < 2; k++) {
    g_free (first[k].data);
    g_free (again[k].data);
  }
  *total = points;
  return chosen->len;
}

static void
test_allocations (void)
{
  guint total, n = walk (SE_FAULT_ALLOC, SE_GPU_ERROR_OUT_OF_MEMORY, &total);
  g_print ("# allocation failures injected and survived: %u of %u\n", n, total);
}

static void
test_device_losses (void)
{
  guint generation = engine->gpu->generation;
  guint total, n = walk (SE_FAULT_DEVICE_LOST, SE_GPU_ERROR_DEVICE_LOST, &total);
  g_assert_cmpuint (engine->gpu->generation, ==, generation + n);
  g_print ("# device losses injected and survived: %u of %u (the device re-created each time)\n", n, total);
}

/* An inverted session outlives a device loss: the edit after it re-creates
 * the device and reloads the networks, and needs no new inversion. */
static void
test_session_survives_loss (void)
{
  SeImage img = test_image ();
  g_autofree float *data = img.data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSession) s = se_session_new (model, &img, &error);
  g_assert_no_error (error);
  g_autoptr (SeRecipe) r = se_test_snowy_recipe (2);
  SeImage want = { 0 }, got = { 0 };
  g_assert_true (se_session_invert (s, r, 7, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_true (se_session_edit (s, r, &want, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  se_fault_arm (SE_FAULT_DEVICE_LOST, 2);
  g_assert_false (se_session_edit (s, r, &got, NULL, NULL, NULL, &error));
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_DEVICE_LOST);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  se_fault_arm (SE_FAULT_NONE, 0);
  g_assert_true (se_session_is_inverted_for (s, r));
  g_assert_true (se_session_edit (s, r, &got, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_same_image (&got, &want);
  g_free (want.data);
  g_free (got.data);
}

/* The first session on a model measures its memory footprint (a walk of
 * its own would repeat the run's code paths at a thousand more points):
 * a failure there ends the call, and the next one measures again. */
static void
test_footprint (void)
{
  model->footprint.measured = FALSE;
  se_fault_arm (SE_FAULT_ALLOC, 400);
  SeImage out[2] = { 0 };
  g_autoptr (GError) error = run_edit (out);
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY);
  g_assert_false (model->footprint.measured);
  se_fault_arm (SE_FAULT_NONE, 0);
  g_autoptr (GError) again = run_edit (out);
  g_assert_no_error (again);
  g_assert_true (model->footprint.measured);
  g_free (out[0].data);
  g_free (out[1].data);
}

/* Loading a model: allocations and submissions fail in turn (the points
 * points_to_walk picks); each load ends with an error and leaves no device
 * memory held. */
static void
test_loading (void)
{
  VkDeviceSize held = se_memory_in_use (engine->gpu);
  g_autoptr (GError) error = NULL;
  for (guint pass = 0; pass < 2; pass++) {
    SeFaultKind kind = pass ? SE_FAULT_DEVICE_LOST : SE_FAULT_ALLOC;
    se_fault_arm (SE_FAULT_NONE, 0);
    observe_sites (kind);
    SeModel *second = se_model_load (engine, model_dir, NULL, &error);
    g_assert_no_error (error);
    se_model_free (second);
    guint points = pass ? se_fault_submits () : se_fault_allocs ();
    g_assert_cmpuint (points, >, 0);
    g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, held);
    g_autoptr (GArray) chosen = points_to_walk (points);
    for (guint i = 0; i < chosen->len; i++) {
      se_fault_arm (kind, g_array_index (chosen, guint, i));
      SeModel *m = se_model_load (engine, model_dir, NULL, &error);
      g_assert_null (m);
      g_assert_true (se_fault_fired ());
      gint expected = pass ? SE_GPU_ERROR_DEVICE_LOST : SE_GPU_ERROR_OUT_OF_MEMORY;
      g_assert_error (error, SE_GPU_ERROR, expected);
      g_clear_error (&error);
      if (!pass)
        g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, held);
    }
    g_print ("# model loading: %u of %u %s injected and survived\n", chosen->len, points,
             pass ? "device losses" : "allocation failures");
  }
  /* the model loaded before still edits, on a re-created device */
  se_fault_arm (SE_FAULT_NONE, 0);
  SeImage out[2] = { 0 };
  g_autoptr (GError) after = run_edit (out);
  g_assert_no_error (after);
  g_free (out[0].data);
  g_free (out[1].data);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_strcmp0 (g_getenv ("SE_TEST_FULL"), "1") == 0)
    walk_sample = 0;
  model_dir = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  model = se_model_load (engine, model_dir, NULL, &error);
  g_assert_no_error (error);
  SeImage warm[2] = { 0 };    /* measures the model's footprint once (footprint.h) */
  g_autoptr (GError) warm_error = run_edit (warm);
  g_assert_no_error (warm_error);
  g_free (warm[0].data);
  g_free (warm[1].data);
  g_test_add_func ("/faults/footprint", test_footprint);
  g_test_add_func ("/faults/allocations", test_allocations);
  g_test_add_func ("/faults/device-losses", test_device_losses);
  g_test_add_func ("/faults/session-survives-loss", test_session_survives_loss);
  g_test_add_func ("/faults/loading", test_loading);
  int r = g_test_run ();
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_model_free (model);
  se_engine_free (engine);
  g_free (model_dir);
  return r;
}
