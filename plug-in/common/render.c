/* render.c: a region's final edit (render.h). */
#include "render.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "image-resample.h"

char *
se_render_layer_name (const SeRecipe *r)
{
  GString *s = g_string_new (_("Semantic Edit:"));
  for (guint i = 0; i < r->concepts->len; i++) {
    const SeConcept *c = &g_array_index (r->concepts, SeConcept, i);
    g_string_append_printf (s, " %s%s", c->reverse ? "\xe2\x88\x92" : "+", c->prompt);
  }
  if (r->concepts->len == 0 && *r->tar)
    g_string_append_printf (s, " %s", r->tar);
  return g_string_free (s, FALSE);
}

SeImage
se_render_region (SeModel *model, const SeImage *original, const SeImage *work, guint scaled_w, guint scaled_h,
                  const SeRecipe *recipe, guint64 seed, const SeRenderProgress *progress, GError **error)
{
  SeImage result = { 0 };
  progress->phase ("encode", _("Semantic Edit: encoding"), progress->data);
  g_autoptr (SeSession) session = se_session_new (model, work, error);
  if (session == NULL)
    return result;
  progress->phase ("invert", _("Semantic Edit: inverting the image"), progress->data);
  if (!se_session_invert (session, recipe, seed, 1, NULL, progress->steps, progress->data, NULL, error))
    return result;
  progress->phase ("edit", _("Semantic Edit: editing"), progress->data);
  SeImage out = { 0 };
  if (!se_session_edit (session, recipe, &out, progress->steps, progress->data, NULL, error))
    return result;
  /* back to the region's own resolution, keeping its detail unless asked not to */
  const SeImage *source = recipe->detail ? se_session_source (session, 0, error) : NULL;
  if (source || !recipe->detail)
    result = se_image_result (original, &out, source, scaled_w, scaled_h, error);
  g_free (out.data);
  return result;
}

float *
se_render_coverage_to_work (const float *full, guint w, guint h, const SeImage *work, guint scaled_w, guint scaled_h,
                            GError **error)
{
  g_autofree float *scaled = se_image_alloc (scaled_w, scaled_h, 1, error);
  float *out = scaled ? se_image_alloc (work->width, work->height, 1, error) : NULL;
  if (out == NULL || !se_plane_resize (full, w, h, scaled, scaled_w, scaled_h, error)) {
    g_free (out);
    return NULL;
  }
  memset (out, 0, (gsize) work->width * work->height * sizeof (float));
  for (guint row = 0; row < scaled_h; row++)
    memcpy (out + (gsize) row * work->width, scaled + (gsize) row * scaled_w, scaled_w * sizeof (float));
  return out;
}
