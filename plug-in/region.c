/* region.c: drawable + selection -> working image; result -> masked layer. */
#include "region.h"

#include <gegl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

/* context around the selection, as a share of its larger side */
#define MARGIN_SHARE 0.25
#define MARGIN_MIN 16

gboolean
se_region_read (SeRegion *r, gint32 image, gint32 drawable, guint multiple, guint long_side,
                GError **error)
{
  memset (r, 0, sizeof *r);
  r->image = image;
  r->drawable = drawable;
  gint x, y, w, h;
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("The selection does not touch the active layer."));
    return FALSE;
  }
  gint lw = gimp_drawable_width (drawable), lh = gimp_drawable_height (drawable);
  gint margin = MAX (MARGIN_MIN, (gint) (MARGIN_SHARE * MAX (w, h)));
  if (w == lw && h == lh)
    margin = 0;
  r->x = MAX (0, x - margin);
  r->y = MAX (0, y - margin);
  r->width = MIN (lw, x + w + margin) - r->x;
  r->height = MIN (lh, y + h + margin) - r->y;

  /* read the region as R'G'B' float in the drawable's space */
  gsize n = (gsize) r->width * r->height;
  g_autofree float *rgb = g_new (float, 3 * n);
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);
  const Babl *format = babl_format_with_space ("R'G'B' float", gimp_drawable_get_format (drawable));
  gegl_buffer_get (buffer, GEGL_RECTANGLE (r->x, r->y, r->width, r->height), 1.0, format, rgb,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  g_object_unref (buffer);
  SeImage region = { (guint) r->width, (guint) r->height, g_new (float, 3 * n) };
  for (gsize i = 0; i < n; i++)
    for (guint c = 0; c < 3; c++)
      region.data[c * n + i] = CLAMP (rgb[i * 3 + c], 0.0f, 1.0f) * 2.0f - 1.0f;

  /* scale the long side to long_side, then pad to multiples by repeating edges */
  double scale = (double) long_side / MAX (r->width, r->height);
  r->scaled_w = MAX (1u, (guint) (r->width * scale + 0.5));
  r->scaled_h = MAX (1u, (guint) (r->height * scale + 0.5));
  SeImage scaled = se_image_resize (&region, r->scaled_w, r->scaled_h);
  g_free (region.data);
  guint pw = (r->scaled_w + multiple - 1) / multiple * multiple;
  guint ph = (r->scaled_h + multiple - 1) / multiple * multiple;
  r->work = (SeImage) { pw, ph, g_new (float, 3 * (gsize) pw * ph) };
  for (guint c = 0; c < 3; c++)
    for (guint yy = 0; yy < ph; yy++)
      for (guint xx = 0; xx < pw; xx++)
        r->work.data[((gsize) c * ph + yy) * pw + xx] =
          scaled.data[((gsize) c * r->scaled_h + MIN (yy, r->scaled_h - 1)) * r->scaled_w +
                      MIN (xx, r->scaled_w - 1)];
  g_free (scaled.data);
  return TRUE;
}

void
se_region_clear (SeRegion *r)
{
  g_clear_pointer (&r->work.data, g_free);
}

gint32
se_region_write_layer (const SeRegion *r, const SeImage *result, const char *name, GError **error)
{
  /* crop the padding, scale back to the region */
  SeImage crop = { r->scaled_w, r->scaled_h, g_new (float, 3 * (gsize) r->scaled_w * r->scaled_h) };
  for (guint c = 0; c < 3; c++)
    for (guint yy = 0; yy < r->scaled_h; yy++)
      memcpy (crop.data + ((gsize) c * r->scaled_h + yy) * r->scaled_w,
              result->data + ((gsize) c * result->height + yy) * result->width,
              r->scaled_w * sizeof (float));
  SeImage back = se_image_resize (&crop, (guint) r->width, (guint) r->height);
  g_free (crop.data);
  gsize n = (gsize) r->width * r->height;
  g_autofree float *rgba = g_new (float, 4 * n);
  for (gsize i = 0; i < n; i++) {
    for (guint c = 0; c < 3; c++)
      rgba[i * 4 + c] = CLAMP ((back.data[c * n + i] + 1.0f) * 0.5f, 0.0f, 1.0f);
    rgba[i * 4 + 3] = 1.0f;
  }
  g_free (back.data);

  gboolean gray = gimp_image_base_type (r->image) == GIMP_GRAY;
  gint32 layer = gimp_layer_new (r->image, name, r->width, r->height,
                                 gray ? GIMP_GRAYA_IMAGE : GIMP_RGBA_IMAGE, 100.0,
                                 GIMP_LAYER_MODE_NORMAL);
  if (layer < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not create the result layer."));
    return -1;
  }
  gint parent = gimp_item_get_parent (r->drawable);
  gint position = gimp_image_get_item_position (r->image, r->drawable);
  if (!gimp_image_insert_layer (r->image, layer, parent > 0 ? parent : -1, MAX (position, 0))) {
    gimp_item_delete (layer);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not add the result layer."));
    return -1;
  }
  gint ox, oy;
  gimp_drawable_offsets (r->drawable, &ox, &oy);
  gimp_layer_set_offsets (layer, ox + r->x, oy + r->y);

  GeglBuffer *buffer = gimp_drawable_get_buffer (layer);
  const Babl *format = babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (r->drawable));
  gegl_buffer_set (buffer, GEGL_RECTANGLE (0, 0, r->width, r->height), 0, format, rgba,
                   GEGL_AUTO_ROWSTRIDE);
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
  gimp_drawable_update (layer, 0, 0, r->width, r->height);

  /* the selection, feathering included, as the layer's mask */
  gboolean none = gimp_selection_is_empty (r->image);
  gint32 mask = gimp_layer_create_mask (layer, none ? GIMP_ADD_MASK_WHITE : GIMP_ADD_MASK_SELECTION);
  if (mask < 0 || !gimp_layer_add_mask (layer, mask)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not add the layer mask."));
    return -1;
  }
  return layer;
}
