/* image-io.c: gdk-pixbuf and safetensors image reading, PNG writing. */
#include "image-io.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "image-pixbuf.h"
#include "weights/safetensors.h"

static gboolean
load_safetensors (const char *path, SeImage *img, GError **error)
{
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, error);
  if (f == NULL)
    return FALSE;
  const SeSafeTensor *t = se_safetensors_get (f, "image", error);
  if (t == NULL)
    return FALSE;
  if (t->ndim != 4 || t->shape[0] != 1 || t->shape[1] != 3 || !se_dtype_is_float (t->dtype)) {
    g_set_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE,
                 _("%s: \"image\" must be a float [1, 3, H, W] tensor"), path);
    return FALSE;
  }
  img->width = (guint) t->shape[3];
  img->height = (guint) t->shape[2];
  img->data = se_image_alloc (img->width, img->height, 3, error);
  if (img->data == NULL)
    return FALSE;
  se_safetensors_read_f32 (f, t, img->data);
  return TRUE;
}

gboolean
se_image_load (const char *path, SeImage *img, GError **error)
{
  if (g_str_has_suffix (path, ".safetensors"))
    return load_safetensors (path, img, error);
  /* a picture too large for memory is refused before seconds of decoding */
  int declared_w = 0, declared_h = 0;
  if (gdk_pixbuf_get_file_info (path, &declared_w, &declared_h) && declared_w > 0 && declared_h > 0 &&
      !se_image_memory_check ((guint) declared_w, (guint) declared_h, 1, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  g_autoptr (GError) err = NULL;
  g_autoptr (GdkPixbuf) raw = gdk_pixbuf_new_from_file (path, &err);
  if (raw == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot read the image: %s"), path, err->message);
    return FALSE;
  }
  g_autoptr (GdkPixbuf) oriented = gdk_pixbuf_apply_embedded_orientation (raw);
  *img = se_image_from_pixbuf (oriented, error);
  if (img->data == NULL)
    g_prefix_error (error, "%s: ", path);
  return img->data != NULL;
}

gboolean
se_image_save_png (const SeImage *img, const char *path, GError **error)
{
  g_autoptr (GdkPixbuf) pb = se_image_to_pixbuf (img, img->width, img->height);
  if (pb == NULL) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY, _("%s: not enough memory for a %u x %u image"),
                 path, img->width, img->height);
    return FALSE;
  }
  g_autofree char *dir = g_path_get_dirname (path), *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  /* created as any file the user writes (0666 less the umask), so the
   * result renamed over `path` is readable as report.json is */
  int fd = g_mkstemp_full (tmp, O_RDWR, 0666);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("%s: cannot write the image: %s"), path,
                 g_strerror (e));
    return FALSE;
  }
  close (fd);
  g_autoptr (GError) err = NULL;
  if (!gdk_pixbuf_save (pb, tmp, "png", &err, NULL) || g_rename (tmp, path) != 0) {
    if (err == NULL)
      err = g_error_new_literal (G_IO_ERROR, g_io_error_from_errno (errno), g_strerror (errno));
    g_unlink (tmp);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot write the image: %s"), path, err->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
se_mask_load (const char *path, guint *width, guint *height, float **weights, GError **error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GdkPixbuf) raw = gdk_pixbuf_new_from_file (path, &err);
  if (raw == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot read the mask: %s"), path, err->message);
    return FALSE;
  }
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_apply_embedded_orientation (raw);
  guint w = (guint) gdk_pixbuf_get_width (pb), h = (guint) gdk_pixbuf_get_height (pb);
  guint channels = (guint) gdk_pixbuf_get_n_channels (pb), stride = (guint) gdk_pixbuf_get_rowstride (pb);
  const guchar *px = gdk_pixbuf_read_pixels (pb);
  float *m = se_image_alloc (w, h, 1, error);
  if (m == NULL)
    return FALSE;
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      const guchar *p = px + (gsize) y * stride + (gsize) x * channels;
      m[(gsize) y * w + x] = (p[0] + p[1] + p[2]) / (3.0f * 255.0f);
    }
  *width = w;
  *height = h;
  *weights = m;
  return TRUE;
}
