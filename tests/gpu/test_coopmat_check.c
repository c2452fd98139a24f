/* test_coopmat_check.c: the engine's check of the coopmat kernels before
 * their first use (coopmat-check.h), on the device's matrices (emulated on
 * lavapipe): they
 * agree with the reference kernels and stay on; a forced disagreement
 * (SE_FAULT=coopmat_mismatch) at the first, a middle and the last
 * comparison turns them off with one message; the verdict is kept per
 * driver in the user's cache folder and read back instead of checking
 * again.  The cache folder is a temporary one, emptied before each case
 * (not G_TEST_OPTION_ISOLATE_DIRS: the Vulkan loader finds its drivers
 * through XDG_DATA_DIRS).  Mesa's shader cache stays where it was: a fresh
 * one would make lavapipe compile every emulated kernel again, minutes
 * under the sanitizers' allocator. */
#include <glib/gstdio.h>
#include <string.h>

#include "engine.h"
#include "fault.h"
#include "test-util.h"

/* 4 GEMM checks, each in 3 block shapes, and attention (coopmat-check.c) */
#define COMPARISONS 13

static char *
verdict_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "semantic-edit", "coopmat-check", NULL);
}

/* Removes every saved verdict. */
static void
forget (void)
{
  g_autofree char *dir = verdict_dir ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    g_assert_cmpint (g_unlink (path), ==, 0);
  }
}

static char *
verdict (void)
{
  g_autofree char *dir = verdict_dir ();
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name = g_dir_read_name (d);
  g_assert_nonnull (name);
  g_assert_null (g_dir_read_name (d));          /* one verdict for one device */
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static SeEngine *
engine (void)
{
  g_autoptr (GError) error = NULL;
  SeEngine *e = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  return e;
}

static void
test_agrees (void)
{
  forget ();
  se_fault_arm (SE_FAULT_NONE, 0);
  SeEngine *e = engine ();
  g_assert_true (g_str_has_prefix (se_engine_kernels (e), "coopmat"));
  se_engine_free (e);
  g_autofree char *saved = verdict ();
  g_assert_cmpstr (saved, ==, "ok\n");
  /* read back: a mismatch armed now never happens, no check runs */
  se_fault_arm (SE_FAULT_COOPMAT_MISMATCH, 1);
  e = engine ();
  g_assert_true (g_str_has_prefix (se_engine_kernels (e), "coopmat"));
  g_assert_false (se_fault_fired ());
  se_engine_free (e);
  se_fault_arm (SE_FAULT_NONE, 0);
}

static void
test_mismatch (gconstpointer data)
{
  guint n = GPOINTER_TO_UINT (data);
  forget ();
  se_fault_arm (SE_FAULT_COOPMAT_MISMATCH, n);
  g_test_expect_message ("semantic-edit", G_LOG_LEVEL_MESSAGE,
                         "The tensor-core kernels disagree with the reference kernels on *: using the tiled kernels");
  SeEngine *e = engine ();
  g_test_assert_expected_messages ();
  g_assert_true (se_fault_fired ());
  g_assert_cmpstr (se_engine_kernels (e), ==, "tiled");
  se_engine_free (e);
  g_autofree char *saved = verdict ();
  g_assert_true (g_str_has_prefix (saved, "off: "));
  g_assert_nonnull (strstr (saved, "relative error inf"));
  /* read back: off again, with the same message, and no check */
  se_fault_arm (SE_FAULT_NONE, 0);
  g_test_expect_message ("semantic-edit", G_LOG_LEVEL_MESSAGE, "*disagree*");
  e = engine ();
  g_test_assert_expected_messages ();
  g_assert_cmpstr (se_engine_kernels (e), ==, "tiled");
  se_engine_free (e);
}

int
main (int argc, char **argv)
{
  if (!g_getenv ("MESA_SHADER_CACHE_DIR")) {
    /* Mesa's default, $XDG_CACHE_HOME or ~/.cache (it adds mesa_shader_cache);
     * not g_get_user_cache_dir (), which would keep its answer from now on */
    const char *xdg = g_getenv ("XDG_CACHE_HOME");
    g_autofree char *mesa = xdg && *xdg ? g_strdup (xdg)
                                        : g_build_filename (g_get_home_dir (), ".cache", NULL);
    g_setenv ("MESA_SHADER_CACHE_DIR", mesa, TRUE);
  }
  g_autofree char *cache = g_dir_make_tmp ("se-coopmat-check-XXXXXX", NULL);
  g_assert_nonnull (cache);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_setenv ("SE_KERNELS", "coopmat", TRUE);
  g_setenv ("SE_PRECISION", "fp16", TRUE);
  g_test_add_func ("/coopmat-check/agrees", test_agrees);
  guint points[] = { 1, COMPARISONS / 2, COMPARISONS };
  for (guint i = 0; i < G_N_ELEMENTS (points); i++) {
    g_autofree char *path = g_strdup_printf ("/coopmat-check/mismatch-at-%u", points[i]);
    g_test_add_data_func (path, GUINT_TO_POINTER (points[i]), test_mismatch);
  }
  int r = g_test_run ();
  forget ();
  g_autofree char *dir = verdict_dir ();
  g_autofree char *app = g_path_get_dirname (dir);
  g_rmdir (dir);
  g_rmdir (app);
  g_rmdir (cache);
  return r;
}
