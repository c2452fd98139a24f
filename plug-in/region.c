/* region.c: drawable + selection -> working image; result -> masked layer. */
#include "region.h"

#include "render.h"

#include <gegl.h>
#include <glib/gi18n-lib.h>
#include <string.h>


gboolean
se_region_read (SeRegion *r, gint32 image, gint32 drawable, guint multiple, guint long_side,
                GError **error)
{
  memset (r, 0, sizeof *r);
  gint x, y, w, h;
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("The selection does not touch the active layer."));
    return FALSE;
  }
  SeBox box = se_box_with_context ((SeBox) { (guint) x, (guint) y, (guint) w, (guint) h },
                                   (guint) gimp_drawable_width (drawable), (guint) gimp_drawable_height (drawable));
  return se_region_read_box (r, image, drawable, box, multiple, long_side, error);
}

gboolean
se_region_read_result (SeRegion *r, gint32 image, gint32 source, gint32 result, guint multiple, guint long_side,
                       GError **error)
{
  memset (r, 0, sizeof *r);
  gint sx, sy, rx, ry;
  gimp_drawable_offsets (source, &sx, &sy);
  gimp_drawable_offsets (result, &rx, &ry);
  gint x = rx - sx, y = ry - sy, w = gimp_drawable_width (result), h = gimp_drawable_height (result);
  if (x < 0 || y < 0 || x + w > gimp_drawable_width (source) || y + h > gimp_drawable_height (source)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("The edit's layer no longer lies over the layer it was made from (one of them was moved, "
                   "scaled or cropped), so the edit cannot be re-opened."));
    return FALSE;
  }
  return se_region_read_box (r, image, source, (SeBox) { (guint) x, (guint) y, (guint) w, (guint) h }, multiple,
                             long_side, error);
}

gboolean
se_region_read_box (SeRegion *r, gint32 image, gint32 drawable, SeBox box, guint multiple, guint long_side,
                    GError **error)
{
  memset (r, 0, sizeof *r);
  r->image = image;
  r->drawable = drawable;
  r->x = (gint) box.x;
  r->y = (gint) box.y;
  r->width = (gint) box.width;
  r->height = (gint) box.height;

  /* read the region as R'G'B' float in the drawable's space */
  gsize n = (gsize) r->width * r->height;
  g_autofree float *rgb = se_image_alloc ((guint) r->width, (guint) r->height, 3, error);
  r->original = (SeImage) { (guint) r->width, (guint) r->height,
                            rgb ? se_image_alloc ((guint) r->width, (guint) r->height, 3, error) : NULL };
  if (r->original.data == NULL)
    return FALSE;
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);
  const Babl *format = babl_format_with_space ("R'G'B' float", gimp_drawable_get_format (drawable));
  gegl_buffer_get (buffer, GEGL_RECTANGLE (r->x, r->y, r->width, r->height), 1.0, format, rgb,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  g_object_unref (buffer);
  for (gsize i = 0; i < n; i++)
    for (guint c = 0; c < 3; c++)
      r->original.data[c * n + i] = CLAMP (rgb[i * 3 + c], 0.0f, 1.0f) * 2.0f - 1.0f;
  r->work = se_image_to_work (&r->original, multiple, long_side, &r->scaled_w, &r->scaled_h, error);
  if (r->work.data == NULL) {
    se_region_clear (r);
    return FALSE;
  }
  return TRUE;
}

float *
se_region_coverage (const SeRegion *r, gint32 result, GError **error)
{
  gint32 channel = result >= 0 ? gimp_layer_get_mask (result) : gimp_image_get_selection (r->image);
  if (channel < 0 || (result < 0 && gimp_selection_is_empty (r->image)))
    return NULL;
  /* the selection is image-sized at 0, 0; a layer mask is the layer's */
  gint x = 0, y = 0;
  if (result < 0) {
    gimp_drawable_offsets (r->drawable, &x, &y);
    x += r->x;
    y += r->y;
  }
  g_autofree float *full = se_image_alloc ((guint) r->width, (guint) r->height, 1, error);
  if (full == NULL)
    return NULL;
  /* "Y float" reads the stored coverage, which GIMP mixes by in linear light */
  GeglBuffer *buffer = gimp_drawable_get_buffer (channel);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (x, y, r->width, r->height), 1.0, babl_format ("Y float"), full,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  return se_render_coverage_to_work (full, (guint) r->width, (guint) r->height, &r->work, r->scaled_w, r->scaled_h,
                                     error);
}

void
se_region_clear (SeRegion *r)
{
  g_clear_pointer (&r->original.data, g_free);
  g_clear_pointer (&r->work.data, g_free);
}

/* result as opaque R'G'B'A float in [0, 1], pixel-interleaved */
static float *
to_rgba (const SeRegion *r, const SeImage *result, GError **error)
{
  gsize n = (gsize) r->width * r->height;
  float *rgba = se_image_alloc ((guint) r->width, (guint) r->height, 4, error);
  if (rgba == NULL)
    return NULL;
  for (gsize i = 0; i < n; i++) {
    for (guint c = 0; c < 3; c++)
      rgba[i * 4 + c] = CLAMP ((result->data[c * n + i] + 1.0f) * 0.5f, 0.0f, 1.0f);
    rgba[i * 4 + 3] = 1.0f;
  }
  return rgba;
}

gboolean
se_region_replace_layer (const SeRegion *r, const SeImage *result, gint32 layer, GError **error)
{
  if (gimp_drawable_width (layer) != r->width || gimp_drawable_height (layer) != r->height) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The edit's layer changed size; it was left as it was."));
    return FALSE;
  }
  g_autofree float *rgba = to_rgba (r, result, error);
  if (rgba == NULL)
    return FALSE;
  /* through the shadow buffer, merged as one undo step */
  GeglBuffer *shadow = gimp_drawable_get_shadow_buffer (layer);
  const Babl *format = babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (r->drawable));
  gegl_buffer_set (shadow, GEGL_RECTANGLE (0, 0, r->width, r->height), 0, format, rgba, GEGL_AUTO_ROWSTRIDE);
  gegl_buffer_flush (shadow);
  g_object_unref (shadow);
  /* merging keeps to the selection, but the whole layer is the edit's:
   * the selection is set aside meanwhile (in the caller's undo group) */
  gint32 selection = gimp_selection_is_empty (r->image) ? -1 : gimp_selection_save (r->image);
  if (selection >= 0)
    gimp_selection_none (r->image);
  gboolean merged = gimp_drawable_merge_shadow (layer, TRUE);
  if (selection >= 0) {
    gimp_image_select_item (r->image, GIMP_CHANNEL_OP_REPLACE, selection);
    gimp_image_remove_channel (r->image, selection);
  }
  gimp_image_set_active_layer (r->image, layer);
  if (!merged) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not update the edit's layer."));
    return FALSE;
  }
  gimp_drawable_update (layer, 0, 0, r->width, r->height);
  return TRUE;
}

gint32
se_region_write_layer (const SeRegion *r, const SeImage *result, const char *name, GError **error)
{
  g_autofree float *rgba = to_rgba (r, result, error);
  if (rgba == NULL)
    return -1;

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
