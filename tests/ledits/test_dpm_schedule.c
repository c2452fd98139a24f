/* test_dpm_schedule.c: LEDITS++'s DPM-Solver++ tables against the float64
 * goldens of ../shared/reference/ledits_pp/: for every public run the
 * scheduler's step count, timesteps and float32 sigmas exactly, and the
 * solver's coefficients through the stored inversions (no network): each
 * step's data prediction from the stored sample and noise prediction, and
 * each noise map from the stored samples (first order at the first step,
 * second order after it). */
#include <json-glib/json-glib.h>
#include <math.h>

#include "ledits/dpm-schedule.h"
#include "test-util.h"

static JsonObject *runs;

static const char *run_names[] = { "two_concepts", "cross_attn_only", "preview12", "noise_mask_only", "reconstruct",
                                   "two_concepts_fasttok" };

static void
test_tables (gconstpointer data)
{
  JsonObject *run = json_object_get_object_member (runs, data);
  JsonObject *args = json_object_get_object_member (run, "diffusers_invert_args");
  JsonObject *derived = json_object_get_object_member (run, "derived");
  guint n = (guint) json_object_get_int_member (args, "num_inversion_steps");
  g_autoptr (SeDpmSchedule) s = se_dpm_schedule_new (se_dpm_total_for_skip (n, json_object_get_double_member (args, "skip")), n);
  g_assert_nonnull (s);
  g_assert_cmpuint (s->total, ==, json_object_get_int_member (derived, "num_total_steps"));
  g_assert_cmpuint (s->first, ==, json_object_get_int_member (derived, "first_step_index"));
  JsonArray *ts = json_object_get_array_member (derived, "scheduler_timesteps");
  JsonArray *sig = json_object_get_array_member (derived, "scheduler_sigmas_float32");
  JsonArray *inv = json_object_get_array_member (derived, "inversion_timesteps");
  g_assert_cmpuint (json_array_get_length (ts), ==, s->total);
  g_assert_cmpuint (json_array_get_length (sig), ==, s->total + 1);
  g_assert_cmpuint (json_array_get_length (inv), ==, n);
  for (guint j = 0; j < s->total; j++)
    g_assert_cmpuint (s->timesteps[j], ==, json_array_get_int_element (ts, j));
  for (guint j = 0; j <= s->total; j++)
    g_assert_cmpfloat (s->sigmas[j], ==, json_array_get_double_element (sig, j));
  for (guint j = 0; j < n; j++)
    g_assert_cmpuint (s->timesteps[s->first + j], ==, json_array_get_int_element (inv, j));
}

static void
test_inversion_steps (gconstpointer data)
{
  JsonObject *args = json_object_get_object_member (json_object_get_object_member (runs, data),
                                                    "diffusers_invert_args");
  guint n = (guint) json_object_get_int_member (args, "num_inversion_steps");
  g_autoptr (SeDpmSchedule) s = se_dpm_schedule_new (se_dpm_total_for_skip (n, json_object_get_double_member (args, "skip")), n);
  g_autofree char *file = g_strdup_printf ("ledits_pp_%s.safetensors", (const char *) data);
  g_autofree char *path = g_build_filename (se_test_reference_dir (), "ledits_pp", file, NULL);
  gsize total;
  g_autofree double *xts = se_test_read_doubles (path, "xts", &total);
  g_autofree double *sampled = se_test_read_doubles (path, "xts_sampled", NULL);
  g_autofree double *eps = se_test_read_doubles (path, "inv_eps", NULL);
  g_autofree double *data_pred = se_test_read_doubles (path, "inv_x0_pred", NULL);
  g_autofree double *zs = se_test_read_doubles (path, "zs", NULL);
  gsize L = total / (n + 1);
  g_autofree double *d = g_new (double, n * L), *z = g_new (double, n * L);
  for (guint j = 0; j < n; j++) {
    guint m = s->first + j, idx = n - 1 - j;
    SeDpmStep c;
    se_dpm_step (s, m, &c);
    for (gsize i = 0; i < L; i++) {
      double x = xts[(idx + 1) * L + i], D = se_dpm_data (s, m, x, eps[j * L + i]);
      d[j * L + i] = D;
      if (j == n - 1) {
        z[j * L + i] = 0.0;     /* the last noise map is zero */
        continue;
      }
      double mu = c.c_x * x + c.c_d * D;
      if (j > 0)
        mu += 0.5 * c.c_d * c.inv_r0 * (D - data_pred[(j - 1) * L + i]);
      z[j * L + i] = (sampled[idx * L + i] - mu) / c.c_n;
    }
  }
  g_autofree char *what_d = g_strdup_printf ("%s: data predictions", (const char *) data);
  g_autofree char *what_z = g_strdup_printf ("%s: noise maps", (const char *) data);
  /* the goldens are float64 values stored in float32: about 6e-8 here */
  se_test_assert_close (what_d, d, data_pred, n * L, 5e-7);
  se_test_assert_close (what_z, z, zs, n * L, 5e-7);
}

static void
test_out_of_range (void)
{
  g_assert_cmpuint (se_dpm_total_for_skip (0, 0.1), ==, 0);
  g_assert_cmpuint (se_dpm_total_for_skip (10, 1.0), ==, 0);
  g_assert_cmpuint (se_dpm_total_for_skip (10, -0.1), ==, 0);
  g_assert_cmpuint (se_dpm_total_for_skip (900, 0.2), ==, 0);
  g_assert_cmpuint (se_dpm_total_for_skip (30, 0.15), ==, 34);
  g_assert_null (se_dpm_schedule_new (10, 0));
  g_assert_null (se_dpm_schedule_new (10, 11));
  g_assert_null (se_dpm_schedule_new (1000, 10));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  runs = se_test_ledits_pp_runs ();
  for (guint i = 0; i < G_N_ELEMENTS (run_names); i++) {
    g_autofree char *tables = g_strdup_printf ("/dpm-schedule/tables/%s", run_names[i]);
    g_autofree char *steps = g_strdup_printf ("/dpm-schedule/inversion-steps/%s", run_names[i]);
    g_test_add_data_func (tables, run_names[i], test_tables);
    g_test_add_data_func (steps, run_names[i], test_inversion_steps);
  }
  g_test_add_func ("/dpm-schedule/out-of-range", test_out_of_range);
  return g_test_run ();
}
