/* test-util.h: helpers shared by the engine tests.
 *
 * Every test opens the device with se_test_gpu() (validation is on through
 * SE_VULKAN_VALIDATION=1 in meson's test environment) and ends with
 * se_test_gpu_done(), which fails the test if the validation layer reported
 * an error or a synchronization hazard. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ledits/recipe.h"
#include "ops.h"

SeGpu *se_test_gpu (void);
void   se_test_gpu_done (SeGpu *gpu);

/* Uniform random values in [lo, hi) from a seeded generator. */
float *se_test_random (GRand *rand, gsize n, float lo, float hi);

/* A device tensor holding data (copied), or NaN poison when data is NULL so
 * that elements a shader fails to write show up in the comparison. */
SeTensor *se_test_tensor (SeGpu *gpu, const float *data, guint ndim, const gint64 *shape);
#define se_test_tensor_dims(gpu, data, ...) \
  se_test_tensor ((gpu), (data), G_N_ELEMENTS (((gint64[]) { __VA_ARGS__ })), \
                  (gint64[]) { __VA_ARGS__ })

/* Downloads t (submitting pending work) into a new array of doubles. */
double *se_test_fetch (const SeTensor *t);

/* Max |got - want| over max |want|; NaN anywhere gives +inf. */
double se_test_rel_error (const double *got, const double *want, gsize n);

/* Asserts rel error <= bound, naming what was compared. */
void se_test_assert_close (const char *what, const double *got, const double *want, gsize n,
                           double bound);

/* A named test on a fresh device (checked for validation problems after). */
typedef struct {
  const char *name;
  void (*run) (SeGpu *gpu);
} SeTestCase;

/* main() of a test program of cases: `PROGRAM NAME` runs one (meson
 * registers each as its own test), no argument runs all, as /suite/name. */
int se_test_run_cases (int argc, char **argv, const char *suite, const SeTestCase *cases, guint n);

/* A short recipe for whole edits on the tiny model: `steps` steps (2 is
 * the least with an inversion and an edit step), one skipped, source
 * prompt "a photo", the concept "snowy". */
SeRecipe *se_test_snowy_recipe (guint steps);

/* prefix, `depth` opening brackets, as many closing ones, suffix: the
 * deeply nested JSON that would overflow json-glib's stack (json-read.h). */
char *se_test_nested_json (const char *prefix, guint depth, const char *suffix);

/* The reference directory (SE_REFERENCE_DIR), failing the test when absent. */
const char *se_test_reference_dir (void);

/* Tensor `name` of the safetensors file at path as doubles (owned), its
 * element count in *numel (may be NULL); fails the test when missing. */
double *se_test_read_doubles (const char *path, const char *name, gsize *numel);
/* ledits_pp/ledits_pp_runs.json of the reference, parsed once: run name ->
 * its settings (the oracle's README, "Runs"). */
JsonObject *se_test_ledits_pp_runs (void);
