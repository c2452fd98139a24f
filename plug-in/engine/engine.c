/* engine.c: the device and loaded models behind engine.h. */
#include "engine.h"

#include "ledits/latent-preview.h"
#include "ledits/session-private.h"

SeEngine *
se_engine_new (const char *device, GError **error)
{
  SeGpuOptions opts = { .device = device };
  SeGpu *gpu = se_gpu_new (&opts, error);
  if (gpu == NULL)
    return NULL;
  SeEngine *e = g_new0 (SeEngine, 1);
  e->gpu = gpu;
  return e;
}

void
se_engine_free (SeEngine *e)
{
  if (e == NULL)
    return;
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

guint
se_engine_validation_problems (const SeEngine *e)
{
  return (guint) g_atomic_int_get (&e->gpu->validation_problems);
}

char *
se_engine_profile_report (SeEngine *e)
{
  return se_cmd_profile_report (e->gpu);
}

void
se_engine_profile_reset (SeEngine *e)
{
  se_cmd_profile_reset (e->gpu);
}

/* Loads the networks of files (owned from here on). */
static SeModel *
load_networks (SeEngine *e, SeModelFiles *files, GError **error)
{
  g_autoptr (SeModel) m = g_new0 (SeModel, 1);
  m->gpu = e->gpu;
  m->files = files;
  se_latent_preview_default (m->preview_map);
  SeDType weights = se_weights_dtype_default (e->gpu);
  if (!(m->tokenizer = se_tokenizer_load (m->files->tokenizer_dir, error)) ||
      !(m->clip = se_clip_load (e->gpu, m->files, weights, error)) ||
      !(m->unet = se_unet_load (e->gpu, m->files, weights, error)) ||
      !(m->vae = se_vae_load (e->gpu, m->files, weights, error)))
    return NULL;
  return g_steal_pointer (&m);
}

SeModel *
se_model_load (SeEngine *e, const char *path, const char *tokenizer_dir, GError **error)
{
  SeModelFiles *files = se_model_files_open (path, tokenizer_dir, error);
  return files ? load_networks (e, files, error) : NULL;
}

SeModel *
se_model_new_synthetic (SeEngine *e, const char *tokenizer_dir, guint64 seed, GError **error)
{
  SeModelFiles *files = se_model_files_new_synthetic (seed);
  files->tokenizer_dir = g_strdup (tokenizer_dir);
  return load_networks (e, files, error);
}

void
se_model_free (SeModel *m)
{
  if (m == NULL)
    return;
  se_vae_free (m->vae);
  se_unet_free (m->unet);
  se_clip_free (m->clip);
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
