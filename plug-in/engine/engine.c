/* engine.c: the device and loaded models behind engine.h. */
#include "engine.h"

#include <glib/gi18n-lib.h>

#include "coopmat-check.h"
#include "fault.h"
#include "ledits/latent-preview.h"
#include "ledits/session-private.h"

SeEngine *
se_engine_new (const char *device, GError **error)
{
  if (!se_fault_init_from_env (error))
    return NULL;
  SeGpuOptions opts = { .device = device };
  SeGpu *gpu = se_gpu_new (&opts, error);
  if (gpu == NULL)
    return NULL;
  if (!se_coopmat_check (gpu, error)) {
    se_gpu_free (gpu);
    return NULL;
  }
  SeEngine *e = g_new0 (SeEngine, 1);
  e->gpu = gpu;
  return e;
}

void
se_engine_free (SeEngine *e)
{
  if (e == NULL)
    return;
  g_warn_if_fail (e->models == NULL);
  se_gpu_free (e->gpu);
  g_free (e);
}

const char *
se_engine_device_name (const SeEngine *e)
{
  return e->gpu->info.name;
}

char *
se_engine_list_devices (GError **error)
{
  return se_gpu_list_devices (error);
}

const char *
se_engine_precision (const SeEngine *e)
{
  return e->gpu->fp16_activations ? "fp16" : "fp32";
}

void
se_engine_replay_totals (const SeEngine *e, guint64 *replays, double *seconds)
{
  SeCmdStats stats = e->gpu->commands ? se_cmd_stats (e->gpu) : (SeCmdStats) { 0 };
  *replays = stats.replays;
  *seconds = stats.replay_us / 1e6;
}

const char *
se_engine_kernels (const SeEngine *e)
{
  switch (e->gpu->kernels) {
  case SE_KERNELS_REFERENCE:
    return "reference";
  case SE_KERNELS_SUBGROUP:
    return "subgroup";
  case SE_KERNELS_TILED:
    return "tiled";
  case SE_KERNELS_COOPMAT:
  default:
    return e->gpu->coopmat == SE_COOPMAT_KHR ? "coopmat (khr)"
         : e->gpu->coopmat == SE_COOPMAT_NV ? "coopmat (nv)" : "coopmat (emulated)";
  }
}

guint
se_engine_validation_problems (const SeEngine *e)
{
  return (guint) g_atomic_int_get (&e->gpu->validation_problems);
}

/* (nothing to report when the device could not be re-created after a loss) */
char *
se_engine_profile_report (SeEngine *e)
{
  return e->gpu->commands ? se_cmd_profile_report (e->gpu) : NULL;
}

void
se_engine_profile_reset (SeEngine *e)
{
  if (e->gpu->commands)
    se_cmd_profile_reset (e->gpu);
}

/* (0 when the device could not be re-created after a loss) */
guint64
se_engine_memory_peak (SeEngine *e)
{
  return e->gpu->memory ? se_memory_peak (e->gpu) : 0;
}

void
se_engine_memory_reset_peak (SeEngine *e)
{
  if (e->gpu->memory)
    se_memory_reset_peak (e->gpu);
}

static void
drop_networks (SeModel *m)
{
  g_clear_pointer (&m->vae, se_vae_free);
  g_clear_pointer (&m->unet, se_unet_free);
  g_clear_pointer (&m->clip, se_clip_free);
}

/* The text encoder, UNet and VAE on the device's current generation. */
static gboolean
load_networks (SeModel *m, GError **error)
{
  SeGpu *gpu = m->gpu;
  SeDType weights = se_weights_dtype_default (gpu);
  m->generation = gpu->generation;
  if ((m->clip = se_clip_load (gpu, m->files, weights, error)) &&
      (m->unet = se_unet_load (gpu, m->files, weights, error)) &&
      (m->vae = se_vae_load (gpu, m->files, weights, error)))
    return TRUE;
  drop_networks (m);
  return FALSE;
}

gboolean
se_engine_ready (SeEngine *e, GError **error)
{
  if (!e->gpu->lost)
    return TRUE;
  for (GList *l = e->models; l; l = l->next) {
    SeModel *m = l->data;
    for (GList *k = m->sessions; k; k = k->next)
      se_session_drop_recordings (k->data);
    drop_networks (m);
  }
  GError *local = NULL;
  if (!se_gpu_recreate (e->gpu, &local)) {
    e->gpu->lost = TRUE;        /* try again on the next call */
    g_propagate_prefixed_error (error, local, _("The GPU was lost and could not be started again: "));
    return FALSE;
  }
  return TRUE;
}

gboolean
se_model_ready (SeModel *m, GError **error)
{
  if (!se_engine_ready (m->engine, error))
    return FALSE;
  if (m->unet && m->generation == m->gpu->generation)
    return TRUE;
  drop_networks (m);
  GError *local = NULL;
  if (!se_engine_finish (m->gpu, load_networks (m, &local))) {
    g_propagate_prefixed_error (error, local, _("Loading the model again after the GPU was lost: "));
    return FALSE;
  }
  return TRUE;
}

gboolean
se_engine_finish (SeGpu *gpu, gboolean ok)
{
  if (!ok)
    se_cmd_discard (gpu);
  return ok;
}

/* A model on files (owned from here on), its networks loaded; cancel stops
 * the load between tensors. */
static SeModel *
new_model (SeEngine *e, SeModelFiles *files, GCancellable *cancel, GError **error)
{
  if (!se_engine_ready (e, error)) {
    se_model_files_free (files);
    return NULL;
  }
  g_autoptr (SeModel) m = g_new0 (SeModel, 1);
  m->engine = e;
  m->gpu = e->gpu;
  m->files = files;
  se_latent_preview_default (m->preview_map);
  files->cancel = cancel;
  gboolean ok = (m->tokenizer = se_tokenizer_load (m->files->tokenizer_dir, error)) &&
                se_engine_finish (e->gpu, load_networks (m, error));
  files->cancel = NULL;
  if (!ok)
    return NULL;
  e->models = g_list_prepend (e->models, m);
  return g_steal_pointer (&m);
}

SeModel *
se_model_load (SeEngine *e, const char *path, const char *tokenizer_dir, GError **error)
{
  return se_model_load_cancellable (e, path, tokenizer_dir, NULL, error);
}

SeModel *
se_model_load_cancellable (SeEngine *e, const char *path, const char *tokenizer_dir, GCancellable *cancel,
                           GError **error)
{
  SeModelFiles *files = se_model_files_open (path, tokenizer_dir, error);
  return files ? new_model (e, files, cancel, error) : NULL;
}

SeModel *
se_model_new_synthetic (SeEngine *e, const char *tokenizer_dir, guint64 seed, GError **error)
{
  SeModelFiles *files = se_model_files_new_synthetic (seed);
  files->tokenizer_dir = g_strdup (tokenizer_dir);
  return new_model (e, files, NULL, error);
}

void
se_model_free (SeModel *m)
{
  if (m == NULL)
    return;
  g_warn_if_fail (m->sessions == NULL);
  if (m->engine)
    m->engine->models = g_list_remove (m->engine->models, m);
  drop_networks (m);
  se_tokenizer_free (m->tokenizer);
  se_model_files_free (m->files);
  g_free (m);
}

guint
se_model_size_multiple (const SeModel *m)
{
  /* 8 pixels per latent, halved at every UNet level but the last */
  return 8u << (m->files->unet.n_blocks - 1);
}
