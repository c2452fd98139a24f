/* edit.c: one image through the engine (edit.h). */
#include "edit.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "image-io.h"
#include "weights/safetensors.h"
#include "weights/safetensors_write.h"

static float *
read_noise (const char *path, gsize want, GError **error)
{
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, error);
  if (f == NULL)
    return NULL;
  /* the LEDITS goldens call them "noises", the LEDITS++ goldens "draws" */
  const SeSafeTensor *t = se_safetensors_find (f, "noises");
  if (t == NULL && (t = se_safetensors_find (f, "draws")) == NULL) {
    g_set_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE, _("%s holds neither \"noises\" nor \"draws\""),
                 path);
    return NULL;
  }
  if (t->numel != want || !se_dtype_is_float (t->dtype)) {
    g_set_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE,
                 _("%s: \"%s\" has %zu values; this image and step count need %zu"),
                 path, t->name, t->numel, want);
    return NULL;
  }
  float *v = g_new (float, t->numel);
  se_safetensors_read_f32 (f, t, v);
  return v;
}

static void
add_doubles (SeSafetensorsWriter *w, const char *name, const double *v, guint ndim, const gint64 *shape)
{
  gsize n = 1;
  for (guint i = 0; i < ndim; i++)
    n *= (gsize) shape[i];
  g_autofree float *f = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    f[i] = (float) v[i];
  se_safetensors_writer_add_f32 (w, name, SE_DTYPE_F32, ndim, shape, f);
}

static gboolean
write_dump (const char *path, SeSession *s, const SeImage *decoded, GError **error)
{
  g_autoptr (SeSafetensorsWriter) w = se_safetensors_writer_new ();
  gint64 lh = decoded->height / 8, lw = decoded->width / 8;
  gint64 C = (gint64) se_session_latent_size (s) / (lh * lw);
  guint nx, nz;
  const double *xts = se_session_xts (s, 0, &nx), *zs = se_session_zs (s, 0, &nz);
  add_doubles (w, "x0", se_session_x0 (s), 4, (gint64[]) { 1, C, lh, lw });
  add_doubles (w, "xts", xts, 4, (gint64[]) { nx, C, lh, lw });
  add_doubles (w, "zs", zs, 4, (gint64[]) { nz, C, lh, lw });
  add_doubles (w, "latent", se_session_latent (s, 0), 4, (gint64[]) { 1, C, lh, lw });
  se_safetensors_writer_add_f32 (w, "decoded", SE_DTYPE_F32, 4,
                                 (gint64[]) { 1, 3, decoded->height, decoded->width }, decoded->data);
  /* LEDITS++: each concept's mask [C, h/8, w/8] */
  guint concepts = 0;
  while (se_session_concept_mask (s, 0, concepts))
    concepts++;
  if (concepts > 0) {
    gsize hw = (gsize) lh * lw;
    g_autofree double *masks = g_new (double, concepts * hw);
    for (guint c = 0; c < concepts; c++)
      memcpy (masks + c * hw, se_session_concept_mask (s, 0, c), hw * sizeof (double));
    add_doubles (w, "concept_masks", masks, 3, (gint64[]) { concepts, lh, lw });
  }
  return se_safetensors_writer_save (w, path, error);
}

/* The mask's weights, checked against the image's size, and the bounding
 * box of its non-black pixels (width 0: none). */
static float *
read_mask (const char *path, const SeImage *img, SeBox *box, GError **error)
{
  guint w, h;
  float *m;
  if (!se_mask_load (path, &w, &h, &m, error))
    return NULL;
  if (w != img->width || h != img->height) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s: the mask is %u x %u, the image %u x %u"),
                 path, w, h, img->width, img->height);
    g_free (m);
    return NULL;
  }
  guint x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      if (m[(gsize) y * w + x] > 0.0f) {
        x0 = MIN (x0, x);
        y0 = MIN (y0, y);
        x1 = MAX (x1, x + 1);
        y1 = MAX (y1, y + 1);
      }
  *box = x1 > x0 ? (SeBox) { x0, y0, x1 - x0, y1 - y0 } : (SeBox) { 0, 0, 0, 0 };
  return m;
}

/* The input with the edited region blended in by the mask's weights;
 * weight 0 keeps the input's value exactly. */
static SeImage
blend (const SeImage *img, const float *mask, SeBox b, const SeImage *region, GError **error)
{
  gsize n = (gsize) img->width * img->height;
  SeImage out = { img->width, img->height, se_image_alloc (img->width, img->height, 3, error) };
  if (out.data == NULL)
    return out;
  memcpy (out.data, img->data, 3 * n * sizeof (float));
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < b.height; y++)
      for (guint x = 0; x < b.width; x++) {
        gsize i = (gsize) (b.y + y) * img->width + b.x + x;
        float w = mask[i];
        if (w > 0.0f) {
          float orig = img->data[c * n + i];
          out.data[c * n + i] = orig + w * (region->data[((gsize) c * b.height + y) * b.width + x] - orig);
        }
      }
  return out;
}

static gboolean
save_all (const SeImage *results, guint count, char *const *outputs, GError **error)
{
  for (guint k = 0; k < count; k++)
    if (!se_image_save_png (&results[k], outputs[k], error))
      return FALSE;
  return TRUE;
}

static void
free_images (SeImage *images, guint count)
{
  for (guint k = 0; k < count; k++)
    g_free (images[k].data);
  g_free (images);
}

gboolean
se_cli_edit_image (const SeCliEdit *e, const char *input, const char *mask_path, char *const *outputs,
                   gboolean *edited, GError **error)
{
  *edited = FALSE;
  SeImage img = { 0 };
  if (!se_image_load (input, &img, error))
    return FALSE;
  g_autofree float *img_data = img.data;
  if (img.width < SE_CLI_MIN_SIDE || img.height < SE_CLI_MIN_SIDE) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("%s: the image is %u x %u; it needs at least %u pixels a side"), input, img.width, img.height,
                 SE_CLI_MIN_SIDE);
    return FALSE;
  }
  guint K = e->candidates;
  /* the results are made at the input's size: K of them, and a second
   * image while the last one is composed */
  if (!se_image_memory_check (img.width, img.height, K + 1, error)) {
    g_prefix_error (error, "%s: ", input);
    return FALSE;
  }
  SeBox box = { 0, 0, img.width, img.height };
  g_autofree float *mask = NULL;
  if (mask_path) {
    SeBox sel;
    if (!(mask = read_mask (mask_path, &img, &sel, error)))
      return FALSE;
    if (sel.width == 0) {             /* nothing to edit: the input, as it is */
      SeImage *copies = g_new0 (SeImage, K);
      for (guint k = 0; k < K; k++)
        copies[k] = img;
      gboolean ok = save_all (copies, K, outputs, error);
      g_free (copies);
      return ok;
    }
    box = se_box_with_context (sel, img.width, img.height);
  }

  /* the working image */
  guint mult = se_model_size_multiple (e->model), ww, wh, sw = 0, sh = 0;
  SeImage work, region = img;
  g_autofree float *work_data = NULL, *region_data = NULL;
  if (mask) {
    region = se_image_crop (&img, box, error);
    region_data = region.data;
    if (region.data == NULL)
      return FALSE;
    work = se_image_to_work (&region, mult, e->size, &sw, &sh, error);
    work_data = work.data;
    if (work.data == NULL)
      return FALSE;
  } else {
    gboolean exact = g_str_has_suffix (input, ".safetensors");
    se_image_working_size (img.width, img.height, mult, exact ? G_MAXUINT : e->size, &ww, &wh);
    if (exact && (ww != img.width || wh != img.height)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: %u x %u is not a multiple of %u (safetensors input is not resized)"), input, img.width,
                   img.height, mult);
      return FALSE;
    }
    work = img;
    if (ww != img.width || wh != img.height) {
      work = se_image_resize (&img, ww, wh, error);
      work_data = work.data;
      if (work.data == NULL)
        return FALSE;
    }
    sw = ww;
    sh = wh;
  }

  g_autoptr (SeSession) session = se_session_new (e->model, &work, error);
  if (session == NULL)
    return FALSE;
  g_autofree float *noises = NULL;
  if (e->noise && !(noises = read_noise (e->noise, se_recipe_inverted_steps (e->recipe) * se_session_latent_size (session), error)))
    return FALSE;
  SeImage *outs = g_new0 (SeImage, K);
  if (!se_session_invert (session, e->recipe, e->seed, K, noises, e->progress, e->progress_data, e->cancel, error) ||
      !se_session_edit (session, e->recipe, outs, e->progress, e->progress_data, e->cancel, error) ||
      (e->dump && !write_dump (e->dump, session, &outs[0], error))) {
    free_images (outs, K);
    return FALSE;
  }

  /* back to the input's size, keeping its own detail unless asked not to */
  SeImage *finals = g_new0 (SeImage, K);
  for (guint k = 0; k < K; k++) {
    const SeImage *source = e->recipe->detail ? se_session_source (session, k, error) : NULL;
    if (e->recipe->detail && source == NULL) {
      free_images (outs, K);
      free_images (finals, K);
      return FALSE;
    }
    SeImage result = se_image_result (&region, &outs[k], source, sw, sh, error);
    if (result.data && mask) {
      finals[k] = blend (&img, mask, box, &result, error);
      g_free (result.data);
    } else {
      finals[k] = result;
    }
    if (finals[k].data == NULL) {
      free_images (outs, K);
      free_images (finals, K);
      return FALSE;
    }
  }
  free_images (outs, K);
  gboolean ok = save_all (finals, K, outputs, error);
  free_images (finals, K);
  *edited = ok;
  return ok;
}
