/* test_cli.c: the installed semantic-edit binary.
 *
 * Installs the build into a temporary DESTDIR (meson install), then runs the
 * installed binary: every reference LEDITS run with --noise and --dump,
 * compared with the goldens (latent and decoded within 1e-3, zs within 1e-4,
 * as the issue states); a PNG whose sides are not multiples of 64 (resized
 * to the working size and back); and bad input, which must exit non-zero
 * with a message naming the problem. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test-util.h"
#include "weights/safetensors.h"

static char *tmpdir, *binary;

static void
install (void)
{
  tmpdir = g_dir_make_tmp ("se-cli-XXXXXX", NULL);
  g_autofree char *dest = g_build_filename (tmpdir, "root", NULL);
  const char *build = g_getenv ("SE_BUILD_ROOT");
  const char *bindir = g_getenv ("SE_INSTALL_BINDIR");
  g_assert_nonnull (build);
  g_assert_nonnull (bindir);
  const char *argv[] = { "meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet", NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("meson install failed: %s%s", out, err);
  binary = g_build_filename (dest, bindir, "semantic-edit", NULL);
  g_assert_true (g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE));
}

/* Runs the installed binary with args; returns the exit status and stderr. */
static int
run_tool (const char *const *args, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, binary);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, 0, NULL, NULL, NULL, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
ref (const char *name)
{
  return g_build_filename (se_test_reference_dir (), name, NULL);
}

static char *
write_recipe (const char *run)
{
  g_autofree char *path = ref ("ledits_runs.json");
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_file (p, path, NULL));
  JsonNode *node = json_object_get_member (json_node_get_object (json_parser_get_root (p)), run);
  g_autofree char *json = json_to_string (node, TRUE);
  g_autofree char *name = g_strdup_printf ("%s.json", run);
  char *out = g_build_filename (tmpdir, name, NULL);
  g_assert_true (g_file_set_contents (out, json, -1, NULL));
  return out;
}

static void
compare (const char *run, SeSafetensors *dump, SeSafetensors *golden, const char *tensor, double bound)
{
  g_autoptr (GError) error = NULL;
  const SeSafeTensor *a = se_safetensors_get (dump, tensor, &error);
  g_assert_no_error (error);
  const SeSafeTensor *b = se_safetensors_get (golden, tensor, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->numel, ==, b->numel);
  g_autofree float *fa = g_new (float, a->numel), *fb = g_new (float, b->numel);
  se_safetensors_read_f32 (dump, a, fa);
  se_safetensors_read_f32 (golden, b, fb);
  g_autofree double *da = g_new (double, a->numel), *db = g_new (double, a->numel);
  for (gsize i = 0; i < a->numel; i++) {
    da[i] = fa[i];
    db[i] = fb[i];
  }
  g_autofree char *what = g_strdup_printf ("semantic-edit %s: %s", run, tensor);
  se_test_assert_close (what, da, db, a->numel, bound);
}

static void
test_golden_run (gconstpointer data)
{
  const char *run = data;
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *golden_name = g_strdup_printf ("ledits_%s.safetensors", run);
  g_autofree char *golden_path = ref (golden_name);
  g_autofree char *recipe = write_recipe (run);
  g_autofree char *png = g_strdup_printf ("%s/%s.png", tmpdir, run);
  g_autofree char *dump = g_strdup_printf ("%s/%s-dump.safetensors", tmpdir, run);
  const char *args[] = { "--model", model, "--input", golden_path, "--output", png, "--params", recipe,
                         "--noise", golden_path, "--dump", dump, "--quiet", NULL };
  g_autofree char *err = NULL;
  g_setenv ("SE_WEIGHTS_FP32", "1", TRUE);
  int status = run_tool (args, &err);
  if (status != 0)
    g_error ("semantic-edit exited with %d: %s", status, err);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) d = se_safetensors_open (dump, &error);
  g_assert_no_error (error);
  g_autoptr (SeSafetensors) g = se_safetensors_open (golden_path, &error);
  g_assert_no_error (error);
  compare (run, d, g, "x0", 1e-4);
  compare (run, d, g, "xts", 1e-4);
  compare (run, d, g, "zs", 1e-4);
  compare (run, d, g, "latent", 1e-3);
  compare (run, d, g, "decoded", 1e-3);
  g_autoptr (GdkPixbuf) out = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (out), ==, 128);
  g_assert_cmpint (gdk_pixbuf_get_height (out), ==, 64);
}

/* A 100 x 70 PNG: worked on at 128 x 64 (long side 128), written back at 100 x 70. */
static void
test_png_resized (void)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 100, 70);
  gdk_pixbuf_fill (pb, 0x4080c0ff);
  g_autofree char *in = g_build_filename (tmpdir, "odd.png", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "odd-out.png", NULL);
  g_assert_true (gdk_pixbuf_save (pb, in, "png", NULL, NULL));
  g_autofree char *model = ref ("tiny-sd");
  const char *args[] = { "-m", model, "-i", in, "-o", out, "--steps", "4", "--size", "128",
                         "-s", "a photo", "-c", "snowy", "-c", "-clutter@3", "-k", "2", "-q", NULL };
  g_autofree char *err = NULL;
  int status = run_tool (args, &err);
  if (status != 0)
    g_error ("semantic-edit exited with %d: %s", status, err);
  for (int k = 1; k <= 2; k++) {
    g_autofree char *path = g_strdup_printf ("%s/odd-out-%d.png", tmpdir, k);
    g_autoptr (GError) error = NULL;
    g_autoptr (GdkPixbuf) res = gdk_pixbuf_new_from_file (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_pixbuf_get_width (res), ==, 100);
    g_assert_cmpint (gdk_pixbuf_get_height (res), ==, 70);
  }
}

static void
expect_failure (const char *const *args, int want_status, const char *needle)
{
  g_autofree char *err = NULL;
  int status = run_tool (args, &err);
  g_test_message ("exit %d: %s", status, err);
  g_assert_cmpint (status, ==, want_status);
  if (!strstr (err, needle))
    g_error ("stderr \"%s\" should mention \"%s\"", err, needle);
}

static void
test_bad_input (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *image = ref ("ledits_edit.safetensors");
  g_autofree char *out = g_build_filename (tmpdir, "never.png", NULL);
  g_autofree char *bad_recipe = g_build_filename (tmpdir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad_recipe, "{\"steps\": 20, \"strength\": 3}", -1, NULL));
  g_autofree char *range_recipe = g_build_filename (tmpdir, "range.json", NULL);
  g_assert_true (g_file_set_contents (range_recipe, "{\"steps\": 20, \"skip\": 20}", -1, NULL));
  g_autofree char *text = g_build_filename (tmpdir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (text, "not an image", -1, NULL));

  expect_failure ((const char *[]) { "-i", image, "-o", out, NULL }, 2, "--model");
  expect_failure ((const char *[]) { "-m", "/no/such/model", "-i", image, "-o", out, NULL }, 1, "/no/such/model");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-p", bad_recipe, NULL }, 1, "\"strength\"");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-p", range_recipe, NULL }, 1, "\"skip\"");
  expect_failure ((const char *[]) { "-m", model, "-i", text, "-o", out, NULL }, 1, "notes.txt");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-d", "no-such-gpu", NULL }, 1, "no-such-gpu");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-c", "snow@lots", NULL }, 1, "lots");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  install ();
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/png-resized", test_png_resized);
  g_test_add_data_func ("/cli/golden/prompt_edit", "prompt_edit", test_golden_run);
  g_test_add_data_func ("/cli/golden/reconstruct", "reconstruct", test_golden_run);
  g_test_add_data_func ("/cli/golden/edit", "edit", test_golden_run);
  int r = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmpdir);
  return r;
}
