/* image.c: resampling of SeImage and the geometry of an edited region,
 * shared by the command-line tool and the GIMP plug-in. */
#include "engine.h"
#include "image-resample.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "fault.h"

float *
se_image_alloc (guint width, guint height, guint planes, GError **error)
{
  g_autofree char *what = g_strdup_printf (_("a %u x %u image"), width, height);
  return se_host_alloc ((gsize) planes * width * height, sizeof (float), what, error);
}

gboolean
se_image_memory_check (guint width, guint height, guint count, GError **error)
{
  g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < count; i++) {
    float *planes = se_image_alloc (width, height, 3, error);
    if (planes == NULL) {
      if (count > 1 && error && *error) {
        g_autofree char *total = g_format_size ((guint64) count * 3 * width * height * sizeof (float));
        g_free ((*error)->message);
        (*error)->message = g_strdup_printf (_("not enough memory for %u images of %u x %u at once (%s)"), count,
                                             width, height, total);
      }
      return FALSE;
    }
    g_ptr_array_add (held, planes);
  }
  return TRUE;
}

gboolean
se_plane_resize (const float *src, guint sw, guint sh, float *dst, guint dw, guint dh, GError **error)
{
  g_autofree float *tmp = se_image_alloc (dw, sh, 1, error);
  if (tmp == NULL)
    return FALSE;
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
  return TRUE;
}

SeImage
se_image_resize (const SeImage *img, guint width, guint height, GError **error)
{
  SeImage out = { width, height, se_image_alloc (width, height, 3, error) };
  for (guint c = 0; c < 3 && out.data; c++)
    if (!se_plane_resize (img->data + (gsize) c * img->width * img->height, img->width, img->height,
                          out.data + (gsize) c * width * height, width, height, error))
      g_clear_pointer (&out.data, g_free);
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

/* context around the selection, as a share of its larger side */
#define MARGIN_SHARE 0.25
#define MARGIN_MIN 16

SeBox
se_box_with_context (SeBox sel, guint width, guint height)
{
  if (sel.width >= width && sel.height >= height)
    return (SeBox) { 0, 0, width, height };
  guint margin = MAX (MARGIN_MIN, (guint) (MARGIN_SHARE * MAX (sel.width, sel.height)));
  guint x = sel.x > margin ? sel.x - margin : 0, y = sel.y > margin ? sel.y - margin : 0;
  return (SeBox) { x, y, MIN (width, sel.x + sel.width + margin) - x, MIN (height, sel.y + sel.height + margin) - y };
}

SeImage
se_image_to_work (const SeImage *region, guint multiple, guint long_side, guint *scaled_w, guint *scaled_h,
                  GError **error)
{
  double scale = (double) long_side / MAX (region->width, region->height);
  guint sw = MAX (1u, (guint) (region->width * scale + 0.5));
  guint sh = MAX (1u, (guint) (region->height * scale + 0.5));
  guint pw = (sw + multiple - 1) / multiple * multiple, ph = (sh + multiple - 1) / multiple * multiple;
  *scaled_w = sw;
  *scaled_h = sh;
  SeImage scaled = se_image_resize (region, sw, sh, error);
  SeImage work = { pw, ph, scaled.data ? se_image_alloc (pw, ph, 3, error) : NULL };
  if (work.data == NULL) {
    g_free (scaled.data);
    return work;
  }
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < ph; y++)
      for (guint x = 0; x < pw; x++)
        work.data[((gsize) c * ph + y) * pw + x] =
          scaled.data[((gsize) c * sh + MIN (y, sh - 1)) * sw + MIN (x, sw - 1)];
  g_free (scaled.data);
  return work;
}

SeImage
se_image_crop (const SeImage *img, SeBox b, GError **error)
{
  SeImage out = { b.width, b.height, se_image_alloc (b.width, b.height, 3, error) };
  for (guint c = 0; c < 3 && out.data; c++)
    for (guint y = 0; y < b.height; y++)
      memcpy (out.data + ((gsize) c * b.height + y) * b.width,
              img->data + ((gsize) c * img->height + b.y + y) * img->width + b.x, b.width * sizeof (float));
  return out;
}

SeImage
se_image_from_work (const SeImage *work, guint scaled_w, guint scaled_h, guint width, guint height,
                    GError **error)
{
  SeImage crop = se_image_crop (work, (SeBox) { 0, 0, scaled_w, scaled_h }, error);
  if (crop.data == NULL)
    return (SeImage) { width, height, NULL };
  SeImage back = se_image_resize (&crop, width, height, error);
  g_free (crop.data);
  return back;
}
