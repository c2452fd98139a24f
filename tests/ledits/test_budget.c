/* test_budget.c: a run the device cannot hold is refused before it starts,
 * with a message naming what it needs, what is left and what to change.
 *
 * Budgets here are artificial (se_memory_set_budget, what
 * SE_DEVICE_BUDGET_MIB sets) and the allocator keeps to them too, so an
 * estimate below a run's real need would show up as a failure in the
 * middle of the run.  A sweep of budgets around the measured need of a
 * whole edit (two candidates, a source prompt and a concept) requires each
 * run to either complete or be refused up front; every budget below the
 * need is refused, and every budget 1.5 times the need or more is enough
 * (the estimate is not far above the truth). */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "ledits/session-private.h"
#include "test-util.h"

static SeEngine *engine;
static SeModel *model;

/* A whole edit of two candidates at 192 x 128; its error, NULL if it worked. */
static GError *
run_edit (void)
{
  GError *error = NULL;
  SeImage img = { 192, 128, g_new (float, 3 * 192 * 128) };
  g_autofree float *data = img.data;
  for (gsize i = 0; i < 3 * 192 * 128; i++)
    img.data[i] = (float) cos ((double) i * 0.007) * 0.7f;
  g_autoptr (SeSession) s = se_session_new (model, &img, &error);
  g_autoptr (SeRecipe) r = se_test_snowy_recipe (2);
  SeImage out[2] = { { 0 } };
  if (s == NULL || !se_session_invert (s, r, 3, 2, NULL, NULL, NULL, NULL, &error) ||
      !se_session_edit (s, r, out, NULL, NULL, NULL, &error))
    return error;
  g_free (out[0].data);
  g_free (out[1].data);
  return NULL;
}

static void
test_sweep (void)
{
  SeGpu *gpu = engine->gpu;
  g_autoptr (GError) warm = run_edit ();     /* measures the model's footprint */
  g_assert_no_error (warm);
  VkDeviceSize weights = se_memory_in_use (gpu);
  se_memory_reset_peak (gpu);
  g_autoptr (GError) clean = run_edit ();
  g_assert_no_error (clean);
  double need = (double) (se_memory_peak (gpu) - weights);
  g_print ("# a whole edit's peak beyond the weights: %.2f MiB\n", need / (1 << 20));

  const double factors[] = { 0.3, 0.6, 0.8, 0.9, 0.97, 1.0, 1.1, 1.25, 1.5, 2.0, 4.0 };
  double lowest_enough = INFINITY;
  for (guint i = 0; i < G_N_ELEMENTS (factors); i++) {
    VkDeviceSize budget = weights + (VkDeviceSize) (factors[i] * need);
    se_memory_set_budget (gpu, budget);
    g_autoptr (GError) error = run_edit ();
    se_memory_set_budget (gpu, 0);
    g_assert_cmpuint (se_memory_in_use (gpu), ==, weights);
    if (error == NULL) {
      lowest_enough = MIN (lowest_enough, factors[i]);
      g_print ("# budget %.2f x the need: the edit ran\n", factors[i]);
      g_assert_cmpfloat (factors[i], >=, 1.0);
      continue;
    }
    g_print ("# budget %.2f x the need: %s\n", factors[i], error->message);
    g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY);
    /* refused up front, never failed in the middle */
    if (!strstr (error->message, "needs about"))
      g_error ("budget %.2f x the need failed in the middle of the run: %s", factors[i], error->message);
    g_assert_nonnull (strstr (error->message, "SE_DEVICE_BUDGET_MIB"));
    g_assert_nonnull (strstr (error->message, "working size"));
    g_assert_cmpfloat (factors[i], <, 1.5);
  }
  g_assert_cmpfloat (lowest_enough, <=, 1.5);
  /* the engine still edits afterwards */
  g_autoptr (GError) after = run_edit ();
  g_assert_no_error (after);
}

/* The estimate follows the device's real budget: with no artificial one,
 * what is left is what VK_EXT_memory_budget or the heap says. */
static void
test_real_budget (void)
{
  const char *source = NULL;
  VkDeviceSize left = se_memory_available (engine->gpu, &source);
  g_print ("# %s: %.0f MiB left (%s)\n", se_engine_device_name (engine), (double) left / (1 << 20), source);
  g_assert_cmpuint (left, >, 0);
  g_assert_nonnull (source);
  if (engine->gpu->info.memory_budget)
    g_assert_cmpstr (source, ==, "its memory budget");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autofree char *dir = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  model = se_model_load (engine, dir, NULL, &error);
  g_assert_no_error (error);
  g_test_add_func ("/budget/sweep", test_sweep);
  g_test_add_func ("/budget/real", test_real_budget);
  int r = g_test_run ();
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_model_free (model);
  se_engine_free (engine);
  return r;
}
