/* test_detail.c: results at the region's own resolution (se_image_result)
 * on the tiny reference model.
 *
 * - An edit that changes nothing (target = source at the source's
 *   guidance, with no concepts or with every strength 0) returns the
 *   full-resolution original within 1/255, at 8 times the working size;
 *   without "Keep original detail" the same edit returns the VAE's round
 *   trip, scaled, far from it (so the check can fail).
 * - A synthetic change: new content in a box (a latent patch, decoded),
 *   a small tonal change over the right half, nothing elsewhere.  Inside
 *   the box the result follows the upsampled edit; where the tone changed
 *   the result has that change and keeps the original's high-frequency
 *   energy, which the scaled edit has lost; where nothing changed it is
 *   the original exactly.  (A patch alone would not do: the random model's decoder spreads
 *   any latent change over the whole picture through its attention and
 *   group norms.)  With SE_PICTURES the before/after crops are written there for
 *   the README. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "fault.h"
#include "image-pixbuf.h"
#include "ledits/session-private.h"
#include "test-util.h"

static SeModel *model;
static SeEngine *engine;

#define WORK_SIDE 128
#define FULL_W 1024
#define FULL_H 768

/* A "photo" with detail at every scale: smooth colour gradients, a
 * zone-plate ring pattern whose rings tighten toward the corners, and a
 * fine two-pixel weave. */
static SeImage
textured_photo (guint w, guint h)
{
  SeImage img = { w, h, g_new (float, 3 * (gsize) w * h) };
  gsize n = (gsize) w * h;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      double u = (double) x / w - 0.5, v = (double) y / h - 0.5;
      double rings = cos (900.0 * (u * u + v * v));
      double weave = ((x / 2 + y / 2) % 2) ? 0.12 : -0.12;
      double base[3] = { 0.5 * u + 0.1, 0.4 * v - 0.1, -0.3 * (u + v) };
      for (guint c = 0; c < 3; c++)
        img.data[c * n + (gsize) y * w + x] = (float) CLAMP (base[c] + 0.35 * rings + weave, -1.0, 1.0);
    }
  return img;
}

/* The working image of the whole region, as the plug-in makes it. */
static SeImage
to_work (const SeImage *full, guint *sw, guint *sh)
{
  return se_image_to_work (full, se_model_size_multiple (model), WORK_SIDE, sw, sh, NULL);
}

/* The textured photo at full size, its working image, and a session
 * that encoded it. */
static SeSession *
photo_session (SeImage *full, SeImage *work, guint *sw, guint *sh)
{
  *full = textured_photo (FULL_W, FULL_H);
  *work = to_work (full, sw, sh);
  g_autoptr (GError) error = NULL;
  SeSession *s = se_session_new (model, work, &error);
  g_assert_no_error (error);
  return s;
}

static double
max_abs_diff (const SeImage *a, const SeImage *b)
{
  g_assert_cmpuint (a->width, ==, b->width);
  g_assert_cmpuint (a->height, ==, b->height);
  double m = 0.0;
  for (gsize i = 0; i < 3 * (gsize) a->width * a->height; i++)
    m = fmax (m, fabs ((double) a->data[i] - b->data[i]));
  return m;
}

/* An edit with tar = src and cfg_tar = cfg_src; strength: of a concept
 * ("snowy"), or < 0 for none. */
static SeRecipe *
unchanged_recipe (double strength)
{
  SeRecipe *r = se_test_snowy_recipe (4);
  if (strength < 0)
    g_array_set_size (r->concepts, 0);
  else
    g_array_index (r->concepts, SeConcept, 0).scale = strength;
  g_free (r->tar);
  r->tar = g_strdup (r->src);
  r->cfg_tar = r->cfg_src;
  return r;
}

static void
test_unchanged_returns_original (void)
{
  SeImage full, work;
  guint sw, sh;
  g_autoptr (SeSession) s = photo_session (&full, &work, &sw, &sh);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) none = unchanged_recipe (-1);
  g_assert_null (se_session_source (s, 0, &error));    /* nothing to measure against before an inversion */
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (se_session_invert (s, none, 7, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  const SeImage *source = se_session_source (s, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (source);
  double strengths[] = { -1.0, 0.0 };
  for (guint i = 0; i < G_N_ELEMENTS (strengths); i++) {
    g_autoptr (SeRecipe) r = unchanged_recipe (strengths[i]);
    SeImage edit = { 0 };
    g_assert_true (se_session_edit (s, r, &edit, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    SeImage kept = se_image_result (&full, &edit, source, sw, sh, NULL);
    SeImage scaled = se_image_result (&full, &edit, NULL, sw, sh, NULL);
    /* [-1, 1] units: 2/255 is one 8-bit level */
    double kept_err = max_abs_diff (&kept, &full), scaled_err = max_abs_diff (&scaled, &full);
    g_test_message ("strength %g: detail kept %.2e, scaled edit %.3f (8-bit levels: %.3f, %.1f)", strengths[i],
                    kept_err, scaled_err, kept_err * 127.5, scaled_err * 127.5);
    g_assert_cmpfloat (kept_err, <=, 2.0 / 255.0);
    g_assert_cmpfloat (scaled_err, >, 0.1);
    g_free (edit.data);
    g_free (kept.data);
    g_free (scaled.data);
  }
  g_free (work.data);
  g_free (full.data);
}

/* Mean squared 4-neighbour Laplacian over a box of one image: the energy of
 * its finest detail. */
static double
fine_energy (const SeImage *img, SeBox b)
{
  gsize n = (gsize) img->width * img->height;
  double sum = 0.0;
  for (guint c = 0; c < 3; c++)
    for (guint y = b.y + 1; y + 1 < b.y + b.height; y++)
      for (guint x = b.x + 1; x + 1 < b.x + b.width; x++) {
        const float *p = img->data + c * n + (gsize) y * img->width + x;
        double lap = 4.0 * p[0] - p[-1] - p[1] - p[-(gssize) img->width] - p[img->width];
        sum += lap * lap;
      }
  return sum / (3.0 * (b.width - 2) * (b.height - 2));
}

/* Mean of a - b over a box; with absolute, of |a - b| as displayed
 * (values clamped to [-1, 1]). */
static double
mean_diff (const SeImage *a, const SeImage *b, SeBox box, gboolean absolute)
{
  gsize n = (gsize) a->width * a->height;
  double sum = 0.0;
  for (guint c = 0; c < 3; c++)
    for (guint y = box.y; y < box.y + box.height; y++)
      for (guint x = box.x; x < box.x + box.width; x++) {
        gsize i = c * n + (gsize) y * a->width + x;
        sum += absolute ? fabs (CLAMP ((double) a->data[i], -1.0, 1.0) - CLAMP ((double) b->data[i], -1.0, 1.0))
                        : (double) a->data[i] - b->data[i];
      }
  return sum / (3.0 * box.width * box.height);
}

/* Writes img's box as SE_PICTURES/name.png (the README's pictures). */
static void
save_picture (const SeImage *img, SeBox box, const char *name)
{
  const char *dir = g_getenv ("SE_PICTURES");
  if (dir == NULL)
    return;
  SeImage crop = se_image_crop (img, box, NULL);
  g_autoptr (GdkPixbuf) pb = se_image_to_pixbuf (&crop, crop.width, crop.height);
  g_free (crop.data);
  g_autofree char *file = g_strdup_printf ("%s.png", name);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
  g_test_message ("wrote %s", path);
}

/* A synthetic edit, measured against source as an edit's change is: new
 * content in a box (a latent patch, decoded), a small tonal change
 * (brighter by `lift`) over the right half, and no change elsewhere. */
static SeImage
synthetic_edit (SeSession *s, const SeImage *source, double lift, SeBox patch)
{
  guint lw = source->width / 8, lh = source->height / 8;
  gsize N = se_session_latent_size (s), plane = (gsize) lw * lh;
  g_autofree double *patched = g_memdup2 (se_session_reconstruction (s, 0), N * sizeof (double));
  for (gsize c = 0; c < N / plane; c++)
    for (guint y = patch.y; y < patch.y + patch.height; y++)
      for (guint x = patch.x; x < patch.x + patch.width; x++)
        patched[c * plane + (gsize) y * lw + x] += c % 2 ? -4.0 : 4.0;
  g_autoptr (GError) error = NULL;
  SeImage content = { 0 };
  g_assert_true (se_session_decode_latent (s, patched, &content, &error));
  g_assert_no_error (error);
  gsize n = (gsize) source->width * source->height;
  SeImage edit = { source->width, source->height, g_new (float, 3 * n) };
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < source->height; y++)
      for (guint x = 0; x < source->width; x++) {
        gsize i = c * n + (gsize) y * source->width + x;
        gboolean inside = x / 8 >= patch.x && x / 8 < patch.x + patch.width && y / 8 >= patch.y &&
                          y / 8 < patch.y + patch.height;
        float tone = x >= source->width / 2 ? (float) lift : 0.0f;
        edit.data[i] = inside ? content.data[i] : source->data[i] + tone;
      }
  g_free (content.data);
  return edit;
}

static void
test_synthetic_change (void)
{
  SeImage full, work;
  guint sw, sh;
  g_autoptr (SeSession) s = photo_session (&full, &work, &sw, &sh);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) r = unchanged_recipe (-1);
  g_assert_true (se_session_invert (s, r, 7, 1, NULL, NULL, NULL, NULL, &error));
  const SeImage *source = se_session_source (s, 0, &error);
  g_assert_no_error (error);

  /* new content in a block of latent pixels in the top-left quarter; the
   * right half brighter by 0.06 (8 levels of 255) */
  guint lw = work.width / 8, lh = work.height / 8;
  SeBox patch = { lw / 8, lh / 8, lw / 3, lh / 4 };
  const double lift = 0.06;
  SeImage edit = synthetic_edit (s, source, lift, patch);
  SeImage kept = se_image_result (&full, &edit, source, sw, sh, NULL);
  SeImage scaled = se_image_result (&full, &edit, NULL, sw, sh, NULL);

  /* latent pixels -> full-resolution pixels; a 256 x 256 crop across the
   * patch's corner for the README */
  double fx = (double) FULL_W / sw * 8.0, fy = (double) FULL_H / sh * 8.0;
  SeBox shown = { (guint) ((patch.x + patch.width) * fx) - 128, (guint) ((patch.y + patch.height) * fy) - 128,
                  256, 256 };
  save_picture (&full, shown, "detail-original");
  save_picture (&scaled, shown, "detail-off");
  save_picture (&kept, shown, "detail-on");

  /* inside the patch: the edit's new content, no ghost of the old detail */
  guint inset = (guint) fx;     /* one latent pixel */
  SeBox inside = { (guint) (patch.x * fx) + inset, (guint) (patch.y * fy) + inset,
                   (guint) (patch.width * fx) - 2 * inset, (guint) (patch.height * fy) - 2 * inset };
  double moved = mean_diff (&kept, &full, inside, TRUE), follows = mean_diff (&kept, &scaled, inside, TRUE);
  g_test_message ("inside the patch: changed by %.3f, from the scaled edit %.4f", moved, follows);
  g_assert_cmpfloat (moved, >, 0.2);
  g_assert_cmpfloat (follows, <, 0.02);

  /* away from it: the tonal change, over the original's finest detail */
  SeBox far = { FULL_W / 2, FULL_H / 2, FULL_W / 2, FULL_H / 2 };
  double e_full = fine_energy (&full, far), e_kept = fine_energy (&kept, far), e_scaled = fine_energy (&scaled, far);
  double shift = mean_diff (&kept, &full, far, FALSE);
  g_test_message ("away from the patch: shifted by %.4f (edit: %.4f); fine-detail energy: original %.4f, "
                  "detail kept %.4f (%.0f %%), scaled edit %.4f (%.0f %%)", shift, lift, e_full, e_kept,
                  100 * e_kept / e_full, e_scaled, 100 * e_scaled / e_full);
  g_assert_cmpfloat (fabs (shift - lift), <, 2.0 / 255.0);
  g_assert_cmpfloat (e_kept, >, 0.9 * e_full);
  g_assert_cmpfloat (e_kept, <, 1.1 * e_full);
  g_assert_cmpfloat (e_scaled, <, 0.5 * e_full);

  /* where the edit changed nothing (the bottom left, clear of the other
   * changes by more than one working pixel) the result is the original */
  SeBox still = { 0, FULL_H / 2 + 64, FULL_W / 2 - 64, FULL_H / 2 - 64 };
  SeImage orig_still = se_image_crop (&full, still, NULL), kept_still = se_image_crop (&kept, still, NULL);
  double untouched = max_abs_diff (&kept_still, &orig_still);
  g_test_message ("where nothing changed: largest difference %g", untouched);
  g_assert_cmpfloat (untouched, ==, 0.0);
  g_free (orig_still.data);
  g_free (kept_still.data);
  g_free (edit.data);
  g_free (kept.data);
  g_free (scaled.data);
  g_free (work.data);
  g_free (full.data);
}

static SeImage
random_image (GRand *rng, guint w, guint h)
{
  SeImage img = { w, h, g_new (float, 3 * (gsize) w * h) };
  for (gsize i = 0; i < 3 * (gsize) w * h; i++)
    img.data[i] = (float) g_rand_double_range (rng, -1, 1);
  return img;
}

/* Every host buffer of the full-resolution path (the working image, the
 * result at full size) failing in turn, as a huge image would make it:
 * each failure ends in an out-of-memory error naming the image's size, never
 * an abort, and with no failure the result is whole. */
static void
test_out_of_memory (void)
{
  GRand *rng = g_rand_new_with_seed (3);
  SeImage full = random_image (rng, 200, 150);
  guint walked = 0;
  for (guint n = 1;; n++) {
    g_autoptr (GError) error = NULL;
    se_fault_arm (SE_FAULT_ALLOC, n);
    guint sw, sh;
    SeImage work = se_image_to_work (&full, 64, 128, &sw, &sh, &error);
    SeImage edit = { 0 }, result = { 0 };
    if (work.data) {
      edit = random_image (rng, work.width, work.height);
      result = se_image_result (&full, &edit, &work, sw, sh, &error);
    }
    gboolean fired = se_fault_fired ();
    se_fault_arm (SE_FAULT_NONE, 0);
    if (!fired) {
      g_assert_no_error (error);
      g_assert_nonnull (result.data);
      g_assert_cmpuint (result.width, ==, 200);
      g_free (result.data);
      g_free (edit.data);
      g_free (work.data);
      break;
    }
    walked++;
    g_assert_null (result.data);
    g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY);
    g_assert_nonnull (strstr (error->message, " x "));
    g_free (edit.data);
    g_free (work.data);
  }
  g_test_message ("%u allocations walked", walked);
  g_assert_cmpuint (walked, >=, 8);
  g_free (full.data);
  g_rand_free (rng);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  model = se_model_load (engine, path, NULL, &error);
  g_assert_no_error (error);
  g_test_add_func ("/detail/unchanged-returns-original", test_unchanged_returns_original);
  g_test_add_func ("/detail/synthetic-change", test_synthetic_change);
  g_test_add_func ("/detail/out-of-memory", test_out_of_memory);
  int r = g_test_run ();
  se_model_free (model);
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_engine_free (engine);
  return r;
}
