/* test_tuning.c: the coopmat block choice from tuning tables (tuning.h):
 * the built-in default, a table named by SE_TUNING, and tables that are
 * refused with a message naming them. */
#include <glib/gstdio.h>
#include <string.h>

#include "gpu/tuning.h"
#include "test-util.h"

static char *table_path;

static SeGpu *
gpu_with_table (const char *json)
{
  if (json) {
    g_assert_true (g_file_set_contents (table_path, json, -1, NULL));
    g_setenv ("SE_TUNING", table_path, TRUE);
  } else {
    g_unsetenv ("SE_TUNING");
  }
  return se_test_gpu ();
}

static void
test_default (void)
{
  SeGpu *gpu = gpu_with_table (NULL);
  g_assert_cmpstr (se_tuning_source (gpu), ==, "default.json");
  for (SeTuningOp op = 0; op < SE_TUNING_OPS; op++) {
    g_assert_cmpuint (se_tuning_block (gpu, op, 0), ==, 2);
    g_assert_cmpuint (se_tuning_block (gpu, op, 524287), ==, 2);
    g_assert_cmpuint (se_tuning_block (gpu, op, 524288), ==, 1);
    g_assert_cmpuint (se_tuning_block (gpu, op, 2097151), ==, 1);
    g_assert_cmpuint (se_tuning_block (gpu, op, 2097152), ==, 0);
    g_assert_cmpuint (se_tuning_block (gpu, op, G_MAXUINT64), ==, 0);
  }
  se_test_gpu_done (gpu);
}

static void
test_from_file (void)
{
  /* unsorted, one op without an entry for small products */
  SeGpu *gpu = gpu_with_table ("{ \"device\": \"any\", \"coopmat\": ["
                               " { \"op\": \"gemm\", \"outputs\": 1000, \"block\": 0 },"
                               " { \"op\": \"gemm\", \"outputs\": 0, \"block\": 1 },"
                               " { \"op\": \"conv\", \"outputs\": 64, \"block\": 1 } ] }");
  g_assert_cmpstr (se_tuning_source (gpu), ==, table_path);
  g_assert_cmpuint (se_tuning_block (gpu, SE_TUNING_GEMM, 999), ==, 1);
  g_assert_cmpuint (se_tuning_block (gpu, SE_TUNING_GEMM, 1000), ==, 0);
  g_assert_cmpuint (se_tuning_block (gpu, SE_TUNING_CONV, 63), ==, 2);
  g_assert_cmpuint (se_tuning_block (gpu, SE_TUNING_CONV, 64), ==, 1);
  se_test_gpu_done (gpu);
}

static void
assert_refused (const char *json, const char *message)
{
  g_autoptr (GError) error = NULL;
  if (json) {
    g_assert_true (g_file_set_contents (table_path, json, -1, NULL));
  } else {
    g_remove (table_path);
  }
  g_setenv ("SE_TUNING", table_path, TRUE);
  SeGpu *gpu = se_gpu_new (NULL, &error);
  g_assert_null (gpu);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, table_path));
  g_assert_nonnull (strstr (error->message, message));
}

static void
test_refused (void)
{
  assert_refused ("{ \"coopmat\": [ { \"op\": \"gemm\", \"outputs\": 0, \"block\": 3 } ] }", "entry 0");
  assert_refused ("{ \"coopmat\": [ { \"op\": \"matmul\", \"outputs\": 0, \"block\": 0 } ] }", "entry 0");
  assert_refused ("{ \"coopmat\": [ { \"op\": \"gemm\", \"outputs\": -1, \"block\": 0 } ] }", "entry 0");
  assert_refused ("{ \"coopmat\": [ { \"op\": \"gemm\", \"outputs\": \"big\", \"block\": 0 } ] }", "entry 0");
  assert_refused ("{ \"coopmat\": [ { \"op\": 7, \"outputs\": [1], \"block\": 0 } ] }", "entry 0");
  assert_refused ("{ \"coopmat\": [ 5 ] }", "entry 0");
  assert_refused ("{ \"blocks\": [] }", "\"coopmat\" array");
  assert_refused ("[ 1, 2", "tuning table");
  g_autofree char *deep = se_test_nested_json ("{ \"coopmat\": ", 100000, " }");
  assert_refused (deep, "nested more than 64 levels");
  assert_refused (NULL, "SE_TUNING");
  g_unsetenv ("SE_TUNING");
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("se-tuning-XXXXXX", NULL);
  g_assert_nonnull (dir);
  table_path = g_build_filename (dir, "table.json", NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tuning/default", test_default);
  g_test_add_func ("/tuning/from-file", test_from_file);
  g_test_add_func ("/tuning/refused", test_refused);
  int r = g_test_run ();
  g_remove (table_path);
  g_rmdir (dir);
  g_free (table_path);
  return r;
}
