/* footprint.c: device memory needs measured at two small sizes (footprint.h). */
#include "footprint.h"

#include "nets/unet-plan.h"
#include "session-private.h"

/* The peak bytes handed out while `what` records at side x side pixels. */
typedef gboolean (*Probe) (SeModel *m, guint side, GError **error);

static gboolean
probe_unet (SeModel *m, guint side, GError **error)
{
  SeUNetPlan *plan = se_unet_plan_new (m->unet, 1, side / 8, side / 8, m->files->clip.positions, 0, error);
  se_unet_plan_free (plan);
  return plan != NULL;
}

static gboolean
probe_encode (SeModel *m, guint side, GError **error)
{
  g_autoptr (SeTensor) img = se_tensor_new_typed_dims (m->gpu, SE_DTYPE_F32, error, 1, 3, side, side);
  g_autoptr (SeTensor) out = img ? se_vae_encode (m->vae, img, error) : NULL;
  return out != NULL;
}

static gboolean
probe_decode (SeModel *m, guint side, GError **error)
{
  guint L = m->files->vae.latent_channels;
  g_autoptr (SeTensor) lat = se_tensor_new_typed_dims (m->gpu, SE_DTYPE_F32, error, 1, L, side / 8, side / 8);
  g_autoptr (SeTensor) out = lat ? se_vae_decode (m->vae, lat, error) : NULL;
  return out != NULL;
}

static gboolean
probe_text (SeModel *m, guint side G_GNUC_UNUSED, GError **error)
{
  g_autofree gint32 *ids = g_new0 (gint32, m->files->clip.positions);
  g_autoptr (SeTensor) h = se_clip_forward (m->clip, ids, 1, NULL, error);
  return h != NULL;
}

static gboolean
peak_of (SeModel *m, Probe probe, guint side, double *bytes, GError **error)
{
  SeGpu *gpu = m->gpu;
  if (!se_cmd_submit (gpu, error))
    return FALSE;
  VkDeviceSize base = se_memory_in_use (gpu);
  se_memory_reset_peak (gpu);
  gboolean ok = probe (m, side, error);
  se_cmd_discard (gpu);         /* recorded only: nothing runs */
  *bytes = (double) (se_memory_peak (gpu) - base);
  return ok;
}

static gboolean
fit (SeModel *m, Probe probe, SeFootprintLine *line, GError **error)
{
  guint s1 = se_model_size_multiple (m), s2 = 2 * s1;
  double b1, b2;
  if (!peak_of (m, probe, s1, &b1, error) || !peak_of (m, probe, s2, &b2, error))
    return FALSE;
  double p1 = (double) s1 * s1, p2 = (double) s2 * s2;
  line->per_pixel = MAX (0.0, (b2 - b1) / (p2 - p1));
  line->fixed = MAX (0.0, b1 - line->per_pixel * p1);
  return TRUE;
}

gboolean
se_footprint_measure (SeModel *m, SeFootprint *out, GError **error)
{
  SeFootprint f = { .measured = TRUE };
  if (!fit (m, probe_unet, &f.unet, error) || !fit (m, probe_encode, &f.encode, error) ||
      !fit (m, probe_decode, &f.decode, error) ||
      /* a prompt's encoding does not depend on the image: one size, no per-pixel part */
      !peak_of (m, probe_text, se_model_size_multiple (m), &f.text.fixed, error))
    return FALSE;
  *out = f;
  return TRUE;
}

VkDeviceSize
se_footprint_bytes (const SeFootprintLine *line, guint width, guint height, guint batch)
{
  return (VkDeviceSize) (batch * (line->fixed + line->per_pixel * width * height));
}
