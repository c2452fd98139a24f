/* image-io.c: gdk-pixbuf and safetensors image reading, PNG writing. */
#include "image-io.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

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
  img->data = g_new (float, t->numel);
  se_safetensors_read_f32 (f, t, img->data);
  return TRUE;
}

static SeImage
from_pixbuf (GdkPixbuf *pb)
{
  guint w = (guint) gdk_pixbuf_get_width (pb), h = (guint) gdk_pixbuf_get_height (pb);
  int stride = gdk_pixbuf_get_rowstride (pb), nc = gdk_pixbuf_get_n_channels (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);
  SeImage img = { w, h, g_new (float, 3 * (gsize) w * h) };
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      for (guint c = 0; c < 3; c++)
        img.data[(gsize) c * w * h + (gsize) y * w + x] =
          px[(gsize) y * stride + (gsize) x * nc + c] / 127.5f - 1.0f;
  return img;
}

static GdkPixbuf *
to_pixbuf (const SeImage *img)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) img->width, (int) img->height);
  int stride = gdk_pixbuf_get_rowstride (pb);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  gsize plane = (gsize) img->width * img->height;
  for (guint y = 0; y < img->height; y++)
    for (guint x = 0; x < img->width; x++)
      for (guint c = 0; c < 3; c++) {
        float v = (img->data[c * plane + (gsize) y * img->width + x] + 1.0f) * 127.5f;
        px[(gsize) y * stride + x * 3 + c] = (guint8) lrintf (CLAMP (v, 0.0f, 255.0f));
      }
  return pb;
}

gboolean
se_image_load (const char *path, SeImage *img, GError **error)
{
  if (g_str_has_suffix (path, ".safetensors"))
    return load_safetensors (path, img, error);
  g_autoptr (GError) err = NULL;
  g_autoptr (GdkPixbuf) raw = gdk_pixbuf_new_from_file (path, &err);
  if (raw == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot read the image: %s"), path, err->message);
    return FALSE;
  }
  g_autoptr (GdkPixbuf) oriented = gdk_pixbuf_apply_embedded_orientation (raw);
  *img = from_pixbuf (oriented);
  return TRUE;
}

gboolean
se_image_save_png (const SeImage *img, const char *path, GError **error)
{
  g_autoptr (GdkPixbuf) pb = to_pixbuf (img);
  g_autoptr (GError) err = NULL;
  if (!gdk_pixbuf_save (pb, path, "png", &err, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot write the image: %s"), path, err->message);
    return FALSE;
  }
  return TRUE;
}

/* Resamples one float plane through gdk-pixbuf-like filtering done here in
 * float: separable triangle (bilinear) filter widened when shrinking. */
static void
resample_plane (const float *src, guint sw, guint sh, float *dst, guint dw, guint dh)
{
  g_autofree float *tmp = g_new (float, (gsize) dw * sh);
  for (int pass = 0; pass < 2; pass++) {
    guint n_in = pass == 0 ? sw : sh, n_out = pass == 0 ? dw : dh;
    guint lines = pass == 0 ? sh : dw;
    double scale = (double) n_in / n_out, support = MAX (scale, 1.0);
    for (guint o = 0; o < n_out; o++) {
      double center = (o + 0.5) * scale - 0.5;
      int lo = (int) floor (center - support), hi = (int) ceil (center + support);
      for (guint l = 0; l < lines; l++) {
        double acc = 0.0, wsum = 0.0;
        for (int i = lo; i <= hi; i++) {
          double w = 1.0 - fabs (i - center) / support;
          if (w <= 0.0)
            continue;
          int k = CLAMP (i, 0, (int) n_in - 1);
          double v = pass == 0 ? src[(gsize) l * sw + k] : tmp[(gsize) k * dw + l];
          acc += w * v;
          wsum += w;
        }
        if (pass == 0)
          tmp[(gsize) l * dw + o] = (float) (acc / wsum);
        else
          dst[(gsize) o * dw + l] = (float) (acc / wsum);
      }
    }
  }
}

SeImage
se_image_resize (const SeImage *img, guint width, guint height)
{
  SeImage out = { width, height, g_new (float, 3 * (gsize) width * height) };
  for (guint c = 0; c < 3; c++)
    resample_plane (img->data + (gsize) c * img->width * img->height, img->width, img->height,
                    out.data + (gsize) c * width * height, width, height);
  return out;
}

void
se_image_working_size (guint width, guint height, guint multiple, guint long_side, guint *ow, guint *oh)
{
  if (width % multiple == 0 && height % multiple == 0 && MAX (width, height) <= long_side) {
    *ow = width;
    *oh = height;
    return;
  }
  double scale = (double) long_side / MAX (width, height);
  *ow = MAX (multiple, (guint) lround (width * scale / multiple) * multiple);
  *oh = MAX (multiple, (guint) lround (height * scale / multiple) * multiple);
}
