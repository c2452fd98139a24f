/* region.c (GIMP 3): drawable + selection -> working image; result ->
 * masked layer (region.h). */
#include "region.h"

#include "edit-record.h"
#include "render.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* The region box of drawable (in its coordinates) as the edit sees it. */
static gboolean
read_box (SeRegion3 *r, GimpImage *image, GimpDrawable *drawable, SeBox box, guint multiple, guint long_side,
          GError **error)
{
  *r = (SeRegion3) { .image = image, .drawable = drawable, .x = (gint) box.x, .y = (gint) box.y,
                     .width = (gint) box.width, .height = (gint) box.height };

  /* the region as R'G'B' float in the drawable's space */
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
    se_region3_clear (r);
    return FALSE;
  }
  return TRUE;
}

gboolean
se_region3_read (SeRegion3 *r, GimpImage *image, GimpDrawable *drawable, guint multiple, guint long_side,
                 GError **error)
{
  memset (r, 0, sizeof *r);
  gint x, y, w, h;
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The selection does not touch the active layer."));
    return FALSE;
  }
  SeBox box = se_box_with_context ((SeBox) { (guint) x, (guint) y, (guint) w, (guint) h },
                                   (guint) gimp_drawable_get_width (drawable),
                                   (guint) gimp_drawable_get_height (drawable));
  return read_box (r, image, drawable, box, multiple, long_side, error);
}

gboolean
se_region3_read_result (SeRegion3 *r, GimpImage *image, GimpDrawable *source, GimpLayer *result, guint multiple,
                        guint long_side, GError **error)
{
  memset (r, 0, sizeof *r);
  gint sx, sy, rx, ry;
  gimp_drawable_get_offsets (source, &sx, &sy);
  gimp_drawable_get_offsets (GIMP_DRAWABLE (result), &rx, &ry);
  gint x = rx - sx, y = ry - sy;
  gint w = gimp_drawable_get_width (GIMP_DRAWABLE (result)), h = gimp_drawable_get_height (GIMP_DRAWABLE (result));
  if (x < 0 || y < 0 || x + w > gimp_drawable_get_width (source) || y + h > gimp_drawable_get_height (source)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 _("The edit's layer no longer lies over the layer it was made from (one of them was moved, "
                   "scaled or cropped), so the edit cannot be re-opened."));
    return FALSE;
  }
  return read_box (r, image, source, (SeBox) { (guint) x, (guint) y, (guint) w, (guint) h }, multiple, long_side,
                   error);
}

float *
se_region3_coverage (const SeRegion3 *r, GimpLayer *result, GError **error)
{
  GimpDrawable *channel = result ? GIMP_DRAWABLE (gimp_layer_get_mask (result))
                                 : GIMP_DRAWABLE (gimp_image_get_selection (r->image));
  if (channel == NULL || (result == NULL && gimp_selection_is_empty (r->image)))
    return NULL;
  /* the selection is image-sized at 0, 0; a layer mask is the layer's */
  gint x = 0, y = 0;
  if (result == NULL) {
    gimp_drawable_get_offsets (r->drawable, &x, &y);
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
se_region3_clear (SeRegion3 *r)
{
  g_clear_pointer (&r->original.data, g_free);
  g_clear_pointer (&r->work.data, g_free);
}

/* result as opaque R'G'B'A float in [0, 1], pixel-interleaved */
static float *
to_rgba (const SeRegion3 *r, const SeImage *result, GError **error)
{
  gsize n = (gsize) r->width * r->height;
  float *rgba = se_image_alloc ((guint) r->width, (guint) r->height, 4, error);
  for (gsize i = 0; rgba && i < n; i++) {
    for (guint c = 0; c < 3; c++)
      rgba[i * 4 + c] = CLAMP ((result->data[c * n + i] + 1.0f) * 0.5f, 0.0f, 1.0f);
    rgba[i * 4 + 3] = 1.0f;
  }
  return rgba;
}

/* The edit's record on its layer (replacing an older one; undoable). */
static gboolean
attach_record (GimpLayer *layer, const char *record_json, GError **error)
{
  GimpParasite *p = gimp_parasite_new (SE_EDIT_RECORD_PARASITE, GIMP_PARASITE_PERSISTENT | GIMP_PARASITE_UNDOABLE,
                                       (guint32) strlen (record_json) + 1, record_json);
  gboolean ok = gimp_item_attach_parasite (GIMP_ITEM (layer), p);
  gimp_parasite_free (p);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not store the edit's recipe on its layer."));
  return ok;
}

/* The new layer with its pixels, mask and record, inserted above the
 * drawable; FALSE (the layer removed by the caller's undo group's end) on
 * a failure. */
static gboolean
fill_layer (const SeRegion3 *r, GimpLayer *layer, const float *rgba, const char *record_json, GError **error)
{
  GimpItem *parent = gimp_item_get_parent (GIMP_ITEM (r->drawable));
  gint position = gimp_image_get_item_position (r->image, GIMP_ITEM (r->drawable));
  if (!gimp_image_insert_layer (r->image, layer, parent ? GIMP_LAYER (parent) : NULL, MAX (position, 0))) {
    gimp_item_delete (GIMP_ITEM (layer));
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not add the result layer."));
    return FALSE;
  }
  gint ox, oy;
  gimp_drawable_get_offsets (r->drawable, &ox, &oy);
  gimp_layer_set_offsets (layer, ox + r->x, oy + r->y);
  GeglBuffer *buffer = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
  const Babl *format = babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (r->drawable));
  gegl_buffer_set (buffer, GEGL_RECTANGLE (0, 0, r->width, r->height), 0, format, rgba, GEGL_AUTO_ROWSTRIDE);
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
  gimp_drawable_update (GIMP_DRAWABLE (layer), 0, 0, r->width, r->height);

  /* the selection, feathering included, as the layer's mask */
  gboolean none = gimp_selection_is_empty (r->image);
  GimpLayerMask *mask = gimp_layer_create_mask (layer, none ? GIMP_ADD_MASK_WHITE : GIMP_ADD_MASK_SELECTION);
  if (mask == NULL || !gimp_layer_add_mask (layer, mask)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not add the layer mask."));
    return FALSE;
  }
  return attach_record (layer, record_json, error);
}

GimpLayer *
se_region3_write_layer (const SeRegion3 *r, const SeImage *result, const char *name, const char *record_json,
                        GError **error)
{
  g_autofree float *rgba = to_rgba (r, result, error);
  if (rgba == NULL)
    return NULL;
  gboolean gray = gimp_image_get_base_type (r->image) == GIMP_GRAY;
  gimp_image_undo_group_start (r->image);
  GimpLayer *layer = gimp_layer_new (r->image, name, r->width, r->height,
                                     gray ? GIMP_GRAYA_IMAGE : GIMP_RGBA_IMAGE, 100.0, GIMP_LAYER_MODE_NORMAL);
  gboolean ok = layer != NULL;
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not create the result layer."));
  else if (!(ok = fill_layer (r, layer, rgba, record_json, error)) && gimp_item_is_valid (GIMP_ITEM (layer)))
    gimp_image_remove_layer (r->image, layer);
  gimp_image_undo_group_end (r->image);
  return ok ? layer : NULL;
}

gboolean
se_region3_replace_layer (const SeRegion3 *r, const SeImage *result, GimpLayer *layer, const char *record_json,
                          GError **error)
{
  GimpDrawable *d = GIMP_DRAWABLE (layer);
  if (gimp_drawable_get_width (d) != r->width || gimp_drawable_get_height (d) != r->height) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The edit's layer changed size; it was left as it was."));
    return FALSE;
  }
  g_autofree float *rgba = to_rgba (r, result, error);
  if (rgba == NULL)
    return FALSE;
  gimp_image_undo_group_start (r->image);
  /* through the shadow buffer, merged as one undo step */
  GeglBuffer *shadow = gimp_drawable_get_shadow_buffer (d);
  const Babl *format = babl_format_with_space ("R'G'B'A float", gimp_drawable_get_format (r->drawable));
  gegl_buffer_set (shadow, GEGL_RECTANGLE (0, 0, r->width, r->height), 0, format, rgba, GEGL_AUTO_ROWSTRIDE);
  gegl_buffer_flush (shadow);
  g_object_unref (shadow);
  /* merging keeps to the selection, but the whole layer is the edit's:
   * the selection is set aside meanwhile */
  GimpChannel *selection = gimp_selection_is_empty (r->image) ? NULL : gimp_selection_save (r->image);
  if (selection)
    gimp_selection_none (r->image);
  gboolean ok = gimp_drawable_merge_shadow (d, TRUE);
  if (selection) {
    gimp_image_select_item (r->image, GIMP_CHANNEL_OP_REPLACE, GIMP_ITEM (selection));
    gimp_image_remove_channel (r->image, selection);
  }
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not update the edit's layer."));
  else
    gimp_drawable_update (d, 0, 0, r->width, r->height);
  ok = ok && attach_record (layer, record_json, error);
  gimp_image_undo_group_end (r->image);
  return ok;
}
