/* detail.c: a working-size edit brought back to the region's own
 * resolution, keeping the original's detail where the edit kept it
 * (engine.h, se_image_result; README "Full-resolution results").
 *
 * The change is measured against the VAE's decoding of the original's own
 * latent, not against the original, so the VAE's round-trip error (soft
 * texture, shifted fine detail) cancels: an edit that changes nothing has a
 * change of zero.  Small changes (tone, colour, light) are upsampled and
 * added to the full-resolution original; where the change is large (new
 * content) the result blends toward the upsampled edit itself, so no ghost
 * of the old detail shows through it. */
#include "engine.h"
#include "image-resample.h"

#include <math.h>
#include <string.h>

/* Changes smaller than this (in [-1, 1] units: half an 8-bit level) are the
 * VAE's and the arithmetic's noise; they are dropped, so that pixels the
 * edit left alone keep the original's values exactly. */
#define CHANGE_FLOOR (1.0f / 255.0f)
/* The largest channel change, after a 3x3 dilation and blur at working
 * size, from which the result starts to follow the edit itself, and at
 * which it follows it fully (5 % and 15 % of the value range). */
#define NEW_CONTENT_FROM 0.10f
#define NEW_CONTENT_FULL 0.30f

/* One 3x3 pass over a w x h plane: the maximum (dilate) or the mean. */
static void
filter3 (const float *src, float *dst, guint w, guint h, gboolean max)
{
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++) {
      float acc = 0.0f;
      guint count = 0;
      for (gint dy = -1; dy <= 1; dy++)
        for (gint dx = -1; dx <= 1; dx++) {
          gint yy = (gint) y + dy, xx = (gint) x + dx;
          if (yy < 0 || xx < 0 || yy >= (gint) h || xx >= (gint) w)
            continue;
          float v = src[(gsize) yy * w + (guint) xx];
          acc = max ? MAX (acc, v) : acc + v;
          count++;
        }
      dst[(gsize) y * w + x] = max ? acc : acc / (float) count;
    }
}

static float
smoothstep (float from, float full, float v)
{
  float t = CLAMP ((v - from) / (full - from), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

/* The change edit - source, each value moved toward zero by the floor; and
 * per pixel the weight of the edit itself (0: original + change). */
static gboolean
measure_change (const SeImage *edit, const SeImage *source, float *change, float *weight, GError **error)
{
  gsize m = (gsize) edit->width * edit->height;
  g_autofree float *amount = se_image_alloc (edit->width, edit->height, 1, error);
  g_autofree float *dilated = amount ? se_image_alloc (edit->width, edit->height, 1, error) : NULL;
  if (dilated == NULL)
    return FALSE;
  memset (amount, 0, m * sizeof (float));
  for (guint c = 0; c < 3; c++)
    for (gsize i = 0; i < m; i++) {
      float d = edit->data[c * m + i] - source->data[c * m + i];
      float shrunk = fabsf (d) > CHANGE_FLOOR ? d - copysignf (CHANGE_FLOOR, d) : 0.0f;
      change[c * m + i] = shrunk;
      amount[i] = MAX (amount[i], fabsf (shrunk));
    }
  filter3 (amount, dilated, edit->width, edit->height, TRUE);
  filter3 (dilated, amount, edit->width, edit->height, FALSE);
  for (gsize i = 0; i < m; i++)
    weight[i] = smoothstep (NEW_CONTENT_FROM, NEW_CONTENT_FULL, amount[i]);
  return TRUE;
}

/* out = the original plus the upsampled change, toward the upsampled edit
 * where weight says; one plane at a time at full resolution (a
 * 24-megapixel region holds the original, the result and three planes). */
static gboolean
compose (const SeImage *original, const SeImage *e, const float *change, const float *weight, SeImage *out,
         GError **error)
{
  guint W = original->width, H = original->height, sw = e->width, sh = e->height;
  gsize m = (gsize) sw * sh, M = (gsize) W * H;
  g_autofree float *weight_full = se_image_alloc (W, H, 1, error);
  g_autofree float *change_full = weight_full ? se_image_alloc (W, H, 1, error) : NULL;
  g_autofree float *edit_full = change_full ? se_image_alloc (W, H, 1, error) : NULL;
  if (edit_full == NULL || !se_plane_resize (weight, sw, sh, weight_full, W, H, error))
    return FALSE;
  for (guint c = 0; c < 3; c++) {
    if (!se_plane_resize (change + c * m, sw, sh, change_full, W, H, error) ||
        !se_plane_resize (e->data + c * m, sw, sh, edit_full, W, H, error))
      return FALSE;
    const float *o = original->data + c * M;
    float *dst = out->data + c * M;
    for (gsize i = 0; i < M; i++) {
      float w = weight_full[i];
      float kept = o[i] + change_full[i];
      dst[i] = w > 0.0f ? CLAMP (kept + w * (edit_full[i] - kept), -1.0f, 1.0f) : CLAMP (kept, -1.0f, 1.0f);
    }
  }
  return TRUE;
}

SeImage
se_image_result (const SeImage *original, const SeImage *edit, const SeImage *source, guint scaled_w,
                 guint scaled_h, GError **error)
{
  guint W = original->width, H = original->height;
  if (source == NULL)
    return se_image_from_work (edit, scaled_w, scaled_h, W, H, error);
  SeBox visible = { 0, 0, scaled_w, scaled_h };
  SeImage out = { W, H, NULL };
  SeImage e = se_image_crop (edit, visible, error);
  SeImage r = e.data ? se_image_crop (source, visible, error) : (SeImage) { 0, 0, NULL };
  g_autofree float *change = r.data ? se_image_alloc (scaled_w, scaled_h, 3, error) : NULL;
  g_autofree float *weight = change ? se_image_alloc (scaled_w, scaled_h, 1, error) : NULL;
  gboolean ok = weight && measure_change (&e, &r, change, weight, error);
  g_free (r.data);
  out.data = ok ? se_image_alloc (W, H, 3, error) : NULL;
  if (out.data && !compose (original, &e, change, weight, &out, error))
    g_clear_pointer (&out.data, g_free);
  g_free (e.data);
  return out;
}
