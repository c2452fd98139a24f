/* image-pixbuf.c: SeImage <-> GdkPixbuf (image-pixbuf.h). */
#include "image-pixbuf.h"

#include <math.h>

SeImage
se_image_from_pixbuf (GdkPixbuf *pb, GError **error)
{
  guint w = (guint) gdk_pixbuf_get_width (pb), h = (guint) gdk_pixbuf_get_height (pb);
  int stride = gdk_pixbuf_get_rowstride (pb), nc = gdk_pixbuf_get_n_channels (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);
  SeImage img = { w, h, se_image_alloc (w, h, 3, error) };
  for (guint y = 0; y < h && img.data; y++)
    for (guint x = 0; x < w; x++)
      for (guint c = 0; c < 3; c++)
        img.data[(gsize) c * w * h + (gsize) y * w + x] =
          px[(gsize) y * stride + (gsize) x * nc + c] / 127.5f - 1.0f;
  return img;
}

GdkPixbuf *
se_image_to_pixbuf (const SeImage *img, guint width, guint height)
{
  g_return_val_if_fail (width <= img->width && height <= img->height, NULL);
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) width, (int) height);
  if (pb == NULL)
    return NULL;
  int stride = gdk_pixbuf_get_rowstride (pb);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  gsize plane = (gsize) img->width * img->height;
  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      for (guint c = 0; c < 3; c++) {
        float v = (img->data[c * plane + (gsize) y * img->width + x] + 1.0f) * 127.5f;
        px[(gsize) y * stride + x * 3 + c] = (guint8) lrintf (CLAMP (v, 0.0f, 255.0f));
      }
  return pb;
}
