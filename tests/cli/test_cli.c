/* test_cli.c: the installed semantic-edit binary.
 *
 * Installs the build into a temporary DESTDIR (meson install), then runs the
 * installed binary: every reference LEDITS run with --noise and --dump,
 * compared with the goldens (latent and decoded within 1e-3, zs within 1e-4,
 * as the issue states), and a LEDITS++ one (--method ledits++) with its
 * dumped concept masks; a PNG whose sides are not multiples of 64 (resized
 * to the working size and back); an unchanged edit returning its input
 * with --detail (the default) and not with --no-detail; bad input, which must exit non-zero with
 * a message naming the problem; and batches (--output-dir): good and bad
 * inputs mixed, masks (pixels outside exactly kept), candidates, the
 * report, resuming with --skip-existing, and an interrupted run; results
 * that would replace their inputs (refused unless --overwrite-inputs);
 * pictures larger than memory. */
#define _DEFAULT_SOURCE /* symlink */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "test-util.h"

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

/* Runs the installed binary with args, in a child set up by setup (or
 * NULL) with environment envp (NULL: this one's); returns the exit status
 * and stderr. */
static int
run_tool_in (const char *const *args, char **err, GSpawnChildSetupFunc setup, char **envp)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, binary);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp, 0, setup, NULL, NULL, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Runs the installed binary with args; returns the exit status and stderr. */
static int
run_tool (const char *const *args, char **err)
{
  return run_tool_in (args, err, NULL, NULL);
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
compare (const char *run, const char *dump, const char *golden, const char *tensor, double bound)
{
  gsize na, nb;
  g_autofree double *a = se_test_read_doubles (dump, tensor, &na);
  g_autofree double *b = se_test_read_doubles (golden, tensor, &nb);
  g_assert_cmpuint (na, ==, nb);
  g_autofree char *what = g_strdup_printf ("semantic-edit %s: %s", run, tensor);
  se_test_assert_close (what, a, b, na, bound);
}

/* Runs the tool with fp32 weights (the goldens' bounds), failing on a
 * non-zero exit. */
static void
run_exact (const char *const *args)
{
  g_autofree char *err = NULL;
  g_setenv ("SE_WEIGHTS_FP32", "1", TRUE);
  int status = run_tool (args, &err);
  if (status != 0)
    g_error ("semantic-edit exited with %d: %s", status, err);
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
  run_exact (args);
  compare (run, dump, golden_path, "x0", 1e-4);
  compare (run, dump, golden_path, "xts", 1e-4);
  compare (run, dump, golden_path, "zs", 1e-4);
  compare (run, dump, golden_path, "latent", 1e-3);
  compare (run, dump, golden_path, "decoded", 1e-3);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) out = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (out), ==, 128);
  g_assert_cmpint (gdk_pixbuf_get_height (out), ==, 64);
}

/* The LEDITS++ two_concepts run through --method ledits++ (given in the
 * recipe) with the golden's draws: latents and image within the engine
 * test's bounds, and the dumped concept masks equal to the share of each
 * concept's active steps in which the golden's final mask held. */
static void
test_golden_pp (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *golden_path = ref ("ledits_pp/ledits_pp_two_concepts.safetensors");
  g_autofree char *recipe = g_build_filename (tmpdir, "pp.json", NULL);
  const char *json = "{\"steps\": 34, \"skip\": 4, \"src\": \"a photo of a cat\", \"cfg_src\": 3.5, "
                     "\"masks\": \"intersect\", \"concepts\": ["
                     "{\"prompt\": \"wearing glasses\", \"scale\": 7, \"threshold\": 0.9, \"warmup\": 2}, "
                     "{\"prompt\": \"sunshine\", \"scale\": 5, \"threshold\": 0.9, \"warmup\": 1, "
                     "\"reverse\": true}]}";
  g_assert_true (g_file_set_contents (recipe, json, -1, NULL));
  g_autofree char *png = g_build_filename (tmpdir, "pp.png", NULL);
  g_autofree char *dump = g_build_filename (tmpdir, "pp-dump.safetensors", NULL);
  const char *args[] = { "--model", model, "--input", golden_path, "--output", png, "--params", recipe,
                         "--method", "ledits++", "--noise", golden_path, "--dump", dump, "--quiet", NULL };
  run_exact (args);
  compare ("ledits++ two_concepts", dump, golden_path, "x0", 1e-4);
  compare ("ledits++ two_concepts", dump, golden_path, "xts", 1e-4);
  compare ("ledits++ two_concepts", dump, golden_path, "latent", 1e-4);
  compare ("ledits++ two_concepts", dump, golden_path, "decoded", 2e-4);
  gsize nm, na, nc;
  g_autofree double *final = se_test_read_doubles (golden_path, "final_mask", &nm);     /* [steps, C, h, w] */
  g_autofree double *active = se_test_read_doubles (golden_path, "concept_active", &na); /* [steps, C] */
  g_autofree double *masks = se_test_read_doubles (dump, "concept_masks", &nc);          /* [C, h, w] */
  guint C = 2, steps = (guint) (na / C);
  gsize hw = nc / C;
  g_assert_cmpuint (nm, ==, steps * nc);
  g_autofree double *want = g_new0 (double, nc);
  for (guint c = 0; c < C; c++) {
    double n_active = 0;
    for (guint i = 0; i < steps; i++) {
      n_active += active[i * C + c];
      for (gsize q = 0; q < hw; q++)
        want[c * hw + q] += final[((gsize) i * C + c) * hw + q];
    }
    g_assert_cmpfloat (n_active, >, 0);
    for (gsize q = 0; q < hw; q++)
      want[c * hw + q] /= n_active;
  }
  /* stored as float32 */
  se_test_assert_close ("semantic-edit ledits++ two_concepts: concept masks", masks, want, nc, 1e-7);
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

/* The largest channel difference between two 8-bit images of one size. */
static int
largest_difference (const char *a_path, const char *b_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) a = gdk_pixbuf_new_from_file (a_path, &error);
  g_assert_no_error (error);
  g_autoptr (GdkPixbuf) b = gdk_pixbuf_new_from_file (b_path, &error);
  g_assert_no_error (error);
  int w = gdk_pixbuf_get_width (a), h = gdk_pixbuf_get_height (a);
  g_assert_cmpint (gdk_pixbuf_get_width (b), ==, w);
  g_assert_cmpint (gdk_pixbuf_get_height (b), ==, h);
  int largest = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) {
        const guint8 *pa = gdk_pixbuf_read_pixels (a) + y * gdk_pixbuf_get_rowstride (a) + x * gdk_pixbuf_get_n_channels (a);
        const guint8 *pb = gdk_pixbuf_read_pixels (b) + y * gdk_pixbuf_get_rowstride (b) + x * gdk_pixbuf_get_n_channels (b);
        largest = MAX (largest, abs (pa[c] - pb[c]));
      }
  return largest;
}

/* An edit that changes nothing (target = source at the source's guidance)
 * of a textured 300 x 200 PNG returns it within 1/255 (--detail, the
 * default), and the VAE's round trip, scaled, with --no-detail. */
static char *
write_textured (void)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 200);
  for (int y = 0; y < 200; y++)
    for (int x = 0; x < 300; x++) {
      guint8 *p = gdk_pixbuf_get_pixels (pb) + y * gdk_pixbuf_get_rowstride (pb) + x * 3;
      p[0] = (guint8) ((x * 7 + y * 3) % 256);
      p[1] = (guint8) (((x / 2 + y / 2) % 2) ? 200 : 40);
      p[2] = (guint8) ((x * y) % 251);
    }
  char *in = g_build_filename (tmpdir, "textured.png", NULL);
  g_assert_true (gdk_pixbuf_save (pb, in, "png", NULL, NULL));
  return in;
}

static void
test_detail (void)
{
  g_autofree char *in = write_textured ();
  g_autofree char *kept = g_build_filename (tmpdir, "textured-kept.png", NULL);
  g_autofree char *scaled = g_build_filename (tmpdir, "textured-scaled.png", NULL);
  g_autofree char *params = g_build_filename (tmpdir, "unchanged.json", NULL);
  g_assert_true (g_file_set_contents (params, "{\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"tar\": \"a photo\", "
                                      "\"cfg_src\": 3.5, \"cfg_tar\": 3.5}", -1, NULL));
  g_autofree char *model = ref ("tiny-sd");
  const char *with[] = { "-m", model, "-i", in, "-o", kept, "-p", params, "--size", "128", "-q", NULL };
  const char *without[] = { "-m", model, "-i", in, "-o", scaled, "-p", params, "--size", "128", "--no-detail",
                            "-q", NULL };
  for (int i = 0; i < 2; i++) {
    g_autofree char *err = NULL;
    int status = run_tool (i ? without : with, &err);
    if (status != 0)
      g_error ("semantic-edit exited with %d: %s", status, err);
  }
  int kept_diff = largest_difference (in, kept), scaled_diff = largest_difference (in, scaled);
  g_test_message ("largest change: detail kept %d, scaled edit %d (of 255)", kept_diff, scaled_diff);
  g_assert_cmpint (kept_diff, <=, 1);
  g_assert_cmpint (scaled_diff, >, 16);
  const char *both[] = { "-m", model, "-i", in, "-o", kept, "--detail", "--no-detail", NULL };
  expect_failure (both, 2, "--no-detail");
}

/* An edit with a source prompt and no concept returns the picture itself,
 * with either method: LEDITS++'s inversion, which diffusers guides away
 * from the source prompt, is retraced (ledits-pp.c). */
static void
test_unchanged_without_concepts (void)
{
  g_autofree char *in = write_textured ();
  g_autofree char *model = ref ("tiny-sd");
  for (int pp = 0; pp < 2; pp++) {
    g_autofree char *out = g_build_filename (tmpdir, pp ? "unchanged-pp.png" : "unchanged.png", NULL);
    const char *args[] = { "-m", model, "-i", in, "-o", out, "-s", "a photo of a field", "--method",
                           pp ? "ledits++" : "ledits", "--steps", "8", "--size", "128", "-q", NULL };
    g_autofree char *err = NULL;
    int status = run_tool (args, &err);
    if (status != 0)
      g_error ("semantic-edit exited with %d: %s", status, err);
    g_assert_nonnull (strstr (err, "no concept and no target prompt: the results are the photos as the model "
                                   "reconstructs them"));
    int diff = largest_difference (in, out);
    g_test_message ("%s without concepts: largest change %d of 255", pp ? "LEDITS++" : "LEDITS", diff);
    g_assert_cmpint (diff, ==, 0);
  }
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

  expect_failure ((const char *[]) { "-i", image, "-o", out, NULL }, 2, "--model (or SE_MODEL) is required");
  /* SE_MODEL stands in for --model, as in the GIMP procedure */
  g_setenv ("SE_MODEL", "/no/such/model-from-env", TRUE);
  expect_failure ((const char *[]) { "-i", image, "-o", out, NULL }, 1, "/no/such/model-from-env");
  g_unsetenv ("SE_MODEL");
  expect_failure ((const char *[]) { "-m", "/no/such/model", "-i", image, "-o", out, NULL }, 1, "/no/such/model");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-p", bad_recipe, NULL }, 1, "\"strength\"");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-p", range_recipe, NULL }, 1, "\"skip\"");
  expect_failure ((const char *[]) { "-m", model, "-i", text, "-o", out, NULL }, 1, "notes.txt");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-d", "no-such-gpu", NULL }, 1, "no-such-gpu");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "-c", "snow@lots", NULL }, 1, "lots");
  /* working sizes the engine cannot run (1000000 px once aborted in g_new) */
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "--size", "1000000", NULL }, 2,
                  "--size takes 64..4096");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "--size", "2147483648", NULL }, 2,
                  "--size");
  /* an option's problem named as the option, not as a recipe key */
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "--steps", "2147483647", NULL }, 1,
                  "--steps 2147483647: expected 2 to 1000");
  expect_failure ((const char *[]) { "-m", model, "-i", image, "-o", out, "--steps", "10", "--skip", "10", NULL }, 1,
                  "--skip 10: expected fewer than the 10 steps");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* A w x h RGB PNG; pixel (x, y) from fn. */
static char *
write_png (const char *dir, const char *name, int w, int h, guint32 (*fn) (int x, int y))
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  guchar *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint32 v = fn (x, y);
      guchar *p = px + y * stride + x * 3;
      p[0] = v >> 16;
      p[1] = (v >> 8) & 0xff;
      p[2] = v & 0xff;
    }
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
  return path;
}

static guint32 photo (int x, int y) { return ((x * 7) % 256) << 16 | ((y * 5) % 256) << 8 | ((x * y) % 256); }
static guint32 other (int x, int y) { return 200u << 16 | ((x + y) % 256) << 8 | 50; }
static gboolean in_box (int x, int y) { return x >= 30 && x < 62 && y >= 20 && y < 44; }
static guint32 box_mask (int x, int y) { return in_box (x, y) ? 0xffffff : 0; }
static guint32 black (G_GNUC_UNUSED int x, G_GNUC_UNUSED int y) { return 0; }

static JsonObject *
read_report (const char *path, JsonParser *p)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_file (p, path, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (p));
}

/* The report's entry for the input whose file name is base. */
static JsonObject *
report_entry (JsonObject *report, const char *base)
{
  JsonArray *images = json_object_get_array_member (report, "images");
  for (guint i = 0; i < json_array_get_length (images); i++) {
    JsonObject *o = json_array_get_object_element (images, i);
    g_autofree char *b = g_path_get_basename (json_object_get_string_member (o, "input"));
    if (strcmp (b, base) == 0)
      return o;
  }
  g_error ("the report has no entry for %s", base);
}

static void
assert_status (JsonObject *report, const char *base, const char *status)
{
  const char *got = json_object_get_string_member (report_entry (report, base), "status");
  if (strcmp (got, status) != 0)
    g_error ("%s: status %s, expected %s", base, got, status);
}

static char *batch_dir;

static void
batch_inputs (void)
{
  batch_dir = g_build_filename (tmpdir, "batch", NULL);
  g_autofree char *in = g_build_filename (batch_dir, "in", NULL), *masks = g_build_filename (batch_dir, "masks", NULL);
  g_assert_cmpint (g_mkdir_with_parents (in, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (masks, 0755), ==, 0);
  g_free (write_png (in, "masked.png", 96, 72, photo));
  g_free (write_png (masks, "masked.png", 96, 72, box_mask));
  g_free (write_png (in, "whole.png", 80, 64, other));
  g_free (write_png (in, "blank-mask.png", 64, 64, photo));
  g_free (write_png (masks, "blank-mask.png", 64, 64, black));
  g_free (write_png (in, "wrong-mask.png", 64, 48, photo));
  g_free (write_png (masks, "wrong-mask.png", 32, 32, box_mask));
  g_free (write_png (in, "tiny.png", 8, 8, photo));
  g_autofree char *broken = g_build_filename (in, "broken.jpg", NULL);
  g_assert_true (g_file_set_contents (broken, "not a JPEG", -1, NULL));
}

static GdkPixbuf *
load_png (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  return pb;
}

static guint
file_mode (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* Results get the mode any file the user writes gets (0666 less the
 * umask), as the batch report does: a single result, and a batch's
 * candidates. */
static void
test_result_modes (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *dir = g_build_filename (tmpdir, "modes", NULL);
  g_autofree char *in = g_build_filename (dir, "in", NULL);
  g_assert_cmpint (g_mkdir_with_parents (in, 0755), ==, 0);
  g_free (write_png (in, "photo.png", 64, 64, photo));
  g_autofree char *input = g_build_filename (in, "photo.png", NULL);
  const mode_t masks[] = { 022, 002 };
  for (guint m = 0; m < G_N_ELEMENTS (masks); m++) {
    g_autofree char *out = g_strdup_printf ("%s/out-%03o", dir, (unsigned) masks[m]);
    g_autofree char *single = g_build_filename (out, "single.png", NULL);
    g_assert_cmpint (g_mkdir_with_parents (out, 0755), ==, 0);
    const char *one[] = { "-m", model, "-i", input, "-o", single, "-c", "snowy", "--steps", "2", "--size", "64",
                          "-q", NULL };
    const char *batch[] = { "-m", model, "-c", "snowy", "--steps", "2", "--size", "64", "-k", "2", "--seed", "1",
                            "-O", out, "-q", in, NULL };
    mode_t old = umask (masks[m]);
    g_autofree char *err1 = NULL, *err2 = NULL;
    int s1 = run_tool (one, &err1), s2 = run_tool (batch, &err2);
    umask (old);
    if (s1 != 0 || s2 != 0)
      g_error ("semantic-edit exited with %d and %d: %s%s", s1, s2, err1, err2);
    guint want = 0666 & ~masks[m];
    const char *names[] = { "single.png", "photo-c1-seed1.png", "photo-c2-seed2.png", "report.json" };
    for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
      guint got = file_mode (out, names[i]);
      if (got != want)
        g_error ("umask %03o: %s has mode %03o, expected %03o", (unsigned) masks[m], names[i], got, want);
    }
  }
}

/* Good and bad inputs in one run; masks; two candidates; the report. */
static void
test_batch (void)
{
  batch_inputs ();
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *in = g_build_filename (batch_dir, "in", NULL), *masks = g_build_filename (batch_dir, "masks", NULL);
  g_autofree char *out = g_build_filename (batch_dir, "out", NULL);
  const char *args[] = { "-m", model, "-s", "a photo", "-c", "snowy@12", "--steps", "4", "--size", "64", "-k", "2",
                         "--seed", "7", "-O", out, "--mask-dir", masks, in, NULL };
  g_autofree char *err = NULL;
  int status = run_tool (args, &err);
  g_test_message ("%s", err);
  g_assert_cmpint (status, ==, 1);                              /* some inputs failed */
  g_assert_nonnull (strstr (err, "broken.jpg"));
  g_assert_nonnull (strstr (err, "tiny.png"));

  g_autofree char *report_path = g_build_filename (out, "report.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *report = read_report (report_path, parser);
  assert_status (report, "masked.png", "done");
  assert_status (report, "whole.png", "done");
  assert_status (report, "blank-mask.png", "unchanged");
  assert_status (report, "wrong-mask.png", "failed");
  assert_status (report, "tiny.png", "failed");
  assert_status (report, "broken.jpg", "failed");
  JsonObject *summary = json_object_get_object_member (report, "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "failed"), ==, 3);
  JsonObject *masked = report_entry (report, "masked.png");
  g_assert_nonnull (strstr (json_object_get_string_member (masked, "mask"), "masks"));
  JsonArray *seeds = json_object_get_array_member (masked, "seeds");
  g_assert_cmpint (json_array_get_int_element (seeds, 0), ==, 7);
  g_assert_cmpint (json_array_get_int_element (seeds, 1), ==, 8);
  JsonArray *outputs = json_object_get_array_member (masked, "outputs");
  g_assert_cmpuint (json_array_get_length (outputs), ==, 2);
  g_assert_true (g_str_has_suffix (json_array_get_string_element (outputs, 1), "masked-c2-seed8.png"));
  g_assert_cmpfloat (json_object_get_double_member (masked, "seconds"), >, 0.0);
  g_assert_nonnull (strstr (json_object_get_string_member (report_entry (report, "wrong-mask.png"), "message"),
                            "32 x 32"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report_entry (report, "tiny.png"),
                                                                         "outputs")), ==, 0);

  /* outside the mask every pixel is the input's; inside the edit shows */
  g_autoptr (GdkPixbuf) original = load_png (in, "masked.png");
  for (int k = 1; k <= 2; k++) {
    g_autofree char *name = g_strdup_printf ("masked-c%d-seed%d.png", k, 6 + k);
    g_autoptr (GdkPixbuf) result = load_png (out, name);
    g_assert_cmpint (gdk_pixbuf_get_width (result), ==, 96);
    g_assert_cmpint (gdk_pixbuf_get_height (result), ==, 72);
    const guchar *a = gdk_pixbuf_read_pixels (original), *b = gdk_pixbuf_read_pixels (result);
    int sa = gdk_pixbuf_get_rowstride (original), sb = gdk_pixbuf_get_rowstride (result);
    int na = gdk_pixbuf_get_n_channels (original), nb = gdk_pixbuf_get_n_channels (result);
    long changed_inside = 0;
    for (int y = 0; y < 72; y++)
      for (int x = 0; x < 96; x++)
        for (int c = 0; c < 3; c++) {
          int va = a[y * sa + x * na + c], vb = b[y * sb + x * nb + c];
          if (!in_box (x, y) && va != vb)
            g_error ("%s: pixel (%d, %d) outside the mask changed: %d -> %d", name, x, y, va, vb);
          changed_inside += in_box (x, y) && va != vb;
        }
    g_assert_cmpint (changed_inside, >, 32 * 24);
  }
  /* an all-black mask returns the input as it is */
  g_autoptr (GdkPixbuf) blank_in = load_png (in, "blank-mask.png");
  g_autoptr (GdkPixbuf) blank_out = load_png (out, "blank-mask-c1-seed7.png");
  for (int y = 0; y < 64; y++)
    g_assert_cmpint (memcmp (gdk_pixbuf_read_pixels (blank_in) + y * gdk_pixbuf_get_rowstride (blank_in),
                             gdk_pixbuf_read_pixels (blank_out) + y * gdk_pixbuf_get_rowstride (blank_out),
                             64 * 3), ==, 0);
}

/* --skip-existing: done images are skipped (their files untouched), the
 * rest retried. */
static void
test_batch_resume (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *in = g_build_filename (batch_dir, "in", NULL), *masks = g_build_filename (batch_dir, "masks", NULL);
  g_autofree char *out = g_build_filename (batch_dir, "out", NULL);
  g_autofree char *whole = g_build_filename (out, "whole-c1-seed7.png", NULL);
  GStatBuf before, after;
  g_assert_cmpint (g_stat (whole, &before), ==, 0);
  g_autofree char *report_path = g_build_filename (batch_dir, "resume.json", NULL);
  const char *args[] = { "-m", model, "-s", "a photo", "-c", "snowy@12", "--steps", "4", "--size", "64", "-k", "2",
                         "--seed", "7", "-O", out, "--mask-dir", masks, "--skip-existing", "--report", report_path,
                         in, NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_tool (args, &err), ==, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *report = read_report (report_path, parser);
  assert_status (report, "masked.png", "skipped");
  assert_status (report, "whole.png", "skipped");
  assert_status (report, "blank-mask.png", "skipped");
  assert_status (report, "broken.jpg", "failed");
  g_assert_cmpint (g_stat (whole, &after), ==, 0);
  g_assert_cmpint (before.st_ino, ==, after.st_ino);          /* a rewrite is a new file (renamed in) */
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);
}

/* Results never replace their inputs unless asked: -O on the input folder
 * itself, and -o naming the input through a link (the same file by device
 * and inode), end in a message and exit 1 with the input untouched;
 * --overwrite-inputs lets the result replace it. */
static void
test_refuses_overwriting_inputs (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *dir = g_build_filename (tmpdir, "self", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *photo_path = write_png (dir, "cat.png", 64, 64, photo);
  g_autofree char *before = NULL;
  gsize before_len;
  g_assert_true (g_file_get_contents (photo_path, &before, &before_len, NULL));
  guint mode = file_mode (dir, "cat.png");
  g_autofree char *report = g_build_filename (tmpdir, "self-report.json", NULL);
  const char *into_itself[] = { "-m", model, "-s", "a photo", "-c", "snowy", "--steps", "2", "--size", "64",
                                "--report", report, "-O", dir, dir, NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_tool (into_itself, &err), ==, 1);
  g_assert_nonnull (strstr (err, "would overwrite the input"));
  g_autofree char *link = g_build_filename (tmpdir, "cat-link.png", NULL);
  g_assert_cmpint (symlink (photo_path, link), ==, 0);
  const char *through_link[] = { "-m", model, "-s", "a photo", "-c", "snowy", "--steps", "2", "--size", "64",
                                 "-i", photo_path, "-o", link, NULL };
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_tool (through_link, &err), ==, 1);
  g_assert_nonnull (strstr (err, "would overwrite the input"));
  g_autofree char *after = NULL;
  gsize after_len;
  g_assert_true (g_file_get_contents (photo_path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_cmpuint (file_mode (dir, "cat.png"), ==, mode);
  const char *asked[] = { "-m", model, "-s", "a photo", "-c", "snowy@12", "--steps", "2", "--size", "64",
                          "--overwrite-inputs", "-i", photo_path, "-o", photo_path, NULL };
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_tool (asked, &err), ==, 0);
  g_clear_pointer (&after, g_free);
  g_assert_true (g_file_get_contents (photo_path, &after, &after_len, NULL));
  g_assert_false (after_len == before_len && memcmp (before, after, before_len) == 0);
  g_unlink (link);
}

/* A w x h PNG of black 1-bit pixels, a few kilobytes for any size: what
 * a hostile or careless sender can pass off as a huge photo. */
static char *
write_black_png (const char *name, guint32 w, guint32 h)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  g_byte_array_append (png, (const guint8 *) "\x89PNG\r\n\x1a\n", 8);
  gsize row = 1 + (w + 7) / 8, raw_len = row * h;      /* each row: filter byte 0, then zeros */
  g_autofree guint8 *raw = g_malloc0 (raw_len);
  uLongf packed_len = compressBound (raw_len);
  g_autofree guint8 *packed = g_malloc (packed_len);
  g_assert_cmpint (compress2 (packed, &packed_len, raw, raw_len, 9), ==, Z_OK);
  guint8 header[13] = { w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h, 1, 0, 0, 0, 0 };
  const struct { const char *type; const guint8 *data; guint32 len; } chunks[] = {
    { "IHDR", header, sizeof header }, { "IDAT", packed, (guint32) packed_len }, { "IEND", NULL, 0 } };
  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++) {
    guint32 be_len = GUINT32_TO_BE (chunks[i].len);
    g_byte_array_append (png, (const guint8 *) &be_len, 4);
    guint crc_from = png->len;
    g_byte_array_append (png, (const guint8 *) chunks[i].type, 4);
    if (chunks[i].len)
      g_byte_array_append (png, chunks[i].data, chunks[i].len);
    guint32 be_crc = GUINT32_TO_BE ((guint32) crc32 (0, png->data + crc_from, png->len - crc_from));
    g_byte_array_append (png, (const guint8 *) &be_crc, 4);
  }
  char *path = g_build_filename (tmpdir, name, NULL);
  g_assert_true (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
  return path;
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* The child's address space: 3 GiB, as on a small machine. */
static void
limit_memory (G_GNUC_UNUSED gpointer data)
{
  struct rlimit limit = { 3ul << 30, 3ul << 30 };
  setrlimit (RLIMIT_AS, &limit);
}

/* Pictures larger than memory: refused with a message naming the file and
 * the size, before decoding a 20000 x 20000 one (it aborted in g_new) and
 * before editing an 8000 x 8000 one whose four results cannot be held.
 * AddressSanitizer reserves terabytes of address space, so there the limit
 * is on single allocations instead (3 GiB), which the first case meets. */
static void
test_larger_than_memory (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *huge = write_black_png ("huge.png", 20000, 20000);
  g_autofree char *big = write_black_png ("big.png", 8000, 8000);
  g_autofree char *out = g_build_filename (tmpdir, "too-large.png", NULL);
  const char *huge_args[] = { "-m", model, "-s", "a", "-c", "b", "--steps", "2", "-i", huge, "-o", out, NULL };
  const char *big_args[] = { "-m", model, "-s", "a", "-c", "b", "--steps", "2", "-k", "4", "-i", big, "-o", out,
                             NULL };
  g_autofree char *err = NULL;
#ifdef SANITIZED
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *asan = g_strconcat (g_environ_getenv (env, "ASAN_OPTIONS") ? g_environ_getenv (env, "ASAN_OPTIONS")
                                                                               : "",
                                       ":allocator_may_return_null=1:max_allocation_size_mb=3072", NULL);
  env = g_environ_setenv (env, "ASAN_OPTIONS", asan, TRUE);
  g_assert_cmpint (run_tool_in (huge_args, &err, NULL, env), ==, 1);
#else
  g_assert_cmpint (run_tool_in (huge_args, &err, limit_memory, NULL), ==, 1);
#endif
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, huge));
  g_assert_nonnull (strstr (err, "not enough memory for a 20000 x 20000 image (4.8"));
#ifndef SANITIZED
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_tool_in (big_args, &err, limit_memory, NULL), ==, 1);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, big));
  g_assert_nonnull (strstr (err, "not enough memory for 5 images of 8000 x 8000 at once"));
#else
  (void) big_args;
#endif
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* SIGINT while the second of several images is being edited: exit 130,
 * the first image's results complete, no partial files, the report says
 * which images were not finished. */
static void
test_batch_interrupted (void)
{
  g_autofree char *model = ref ("tiny-sd");
  g_autofree char *dir = g_build_filename (batch_dir, "long", NULL);
  g_autofree char *out = g_build_filename (batch_dir, "interrupted", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (int i = 0; i < 4; i++) {
    g_autofree char *name = g_strdup_printf ("img%d.png", i);
    g_free (write_png (dir, name, 64, 64, photo));
  }
  const char *argv[] = { binary, "-m", model, "-s", "a photo", "-c", "snowy", "--steps", "8", "--size", "64",
                         "-O", out, dir, NULL };
  GPid pid;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  g_autofree char *first = g_build_filename (out, "img0.png", NULL);
  for (int i = 0; i < 6000 && !g_file_test (first, G_FILE_TEST_EXISTS); i++)
    g_usleep (10000);
  g_assert_true (g_file_test (first, G_FILE_TEST_EXISTS));
  kill (pid, SIGINT);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);

  g_autofree char *report_path = g_build_filename (out, "report.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *report = read_report (report_path, parser);
  g_assert_true (json_object_get_boolean_member (report, "interrupted"));
  assert_status (report, "img0.png", "done");
  JsonObject *summary = json_object_get_object_member (report, "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "cancelled") + json_object_get_int_member (summary, "not_run"),
                   >=, 2);
  /* every file there is a complete result named in the report, or the report */
  g_autoptr (GDir) d = g_dir_open (out, 0, &error);
  g_assert_no_error (error);
  for (const char *name; (name = g_dir_read_name (d));) {
    if (strcmp (name, "report.json") == 0)
      continue;
    g_assert_false (name[0] == '.');                            /* a temporary file left behind */
    JsonObject *entry = report_entry (report, name);
    g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "done");
    g_autoptr (GdkPixbuf) pb = load_png (out, name);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("SE_MODEL");     /* the runs name their model, or test its absence */
  install ();
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/png-resized", test_png_resized);
  g_test_add_func ("/cli/detail", test_detail);
  g_test_add_func ("/cli/unchanged-without-concepts", test_unchanged_without_concepts);
  g_test_add_func ("/cli/result-modes", test_result_modes);
  g_test_add_func ("/cli/batch", test_batch);
  g_test_add_func ("/cli/batch-resume", test_batch_resume);
  g_test_add_func ("/cli/batch-interrupted", test_batch_interrupted);
  g_test_add_func ("/cli/refuses-overwriting-inputs", test_refuses_overwriting_inputs);
  g_test_add_func ("/cli/larger-than-memory", test_larger_than_memory);
  g_test_add_data_func ("/cli/golden/prompt_edit", "prompt_edit", test_golden_run);
  g_test_add_data_func ("/cli/golden/reconstruct", "reconstruct", test_golden_run);
  g_test_add_data_func ("/cli/golden/edit", "edit", test_golden_run);
  g_test_add_func ("/cli/golden/ledits++", test_golden_pp);
  int r = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmpdir);
  return r;
}
