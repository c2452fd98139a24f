/* model.h: Stable Diffusion 1.x model files -> named tensors + configuration.
 *
 * Two layouts load: a diffusers folder (model_index.json, unet/, vae/,
 * text_encoder/, tokenizer/, each network with config.json and a
 * safetensors file, "*.fp16.safetensors" variants too) and a single-file
 * checkpoint with the original LDM key names (F32, F16 or BF16).  Either way
 * each network's tensors are reachable under diffusers' names, and the
 * configuration comes from config.json (folder) or from tensor shapes and SD
 * 1.x conventions (single file).  SD 2.x, SDXL and inpainting checkpoints are
 * refused with a message saying what was found.  Immutable after opening. */
#pragma once

#include <gio/gio.h>

#include "safetensors.h"

G_BEGIN_DECLS

#define SE_MODEL_ERROR (se_model_error_quark ())
GQuark se_model_error_quark (void);

typedef enum {
  SE_MODEL_ERROR_NOT_FOUND,     /* path or a required file is missing */
  SE_MODEL_ERROR_UNSUPPORTED,   /* SD 2.x, SDXL, inpainting, .bin weights ... */
  SE_MODEL_ERROR_CONFIG,        /* config.json unreadable or inconsistent */
  SE_MODEL_ERROR_TENSOR,        /* a tensor is missing or has the wrong shape */
} SeModelError;

#define SE_MAX_BLOCKS 8

typedef enum { SE_NET_UNET, SE_NET_VAE, SE_NET_CLIP, SE_NET_COUNT } SeNet;

typedef struct {
  guint in_channels, out_channels;
  guint n_blocks;
  guint block_out[SE_MAX_BLOCKS];
  gboolean down_attn[SE_MAX_BLOCKS];    /* CrossAttnDownBlock2D */
  gboolean up_attn[SE_MAX_BLOCKS];      /* CrossAttnUpBlock2D, in up order */
  guint layers;                         /* resnets per down block */
  guint heads;                          /* SD 1.x: 8 ("attention_head_dim") */
  guint context_dim;
  guint time_embed_dim;
  guint groups;
  float eps;
  gboolean flip_sin_to_cos;
  float freq_shift;
} SeUNetConfig;

typedef struct {
  guint in_channels, out_channels, latent_channels;
  guint n_blocks;
  guint block_out[SE_MAX_BLOCKS];
  guint layers;
  guint groups;
  float scaling;
} SeVaeConfig;

typedef struct {
  guint vocab, hidden, layers, heads, intermediate, positions;
  float eps;
  gboolean quick_gelu;          /* else erf GELU */
} SeClipConfig;

/* What SD 1.x's CLIP tokenizer produces: 77 ids below 49408. */
#define SE_CLIP_POSITIONS 77
#define SE_CLIP_VOCAB 49408

typedef struct {
  const SeSafetensors *file;
  const SeSafeTensor *tensor;
} SeWeightRef;

/* A tensor a network loader asked a synthetic model for. */
typedef struct {
  SeNet net;
  char *name;                           /* diffusers name */
  guint ndim;
  gint64 shape[4];
} SeWeightRequest;

typedef struct {
  char *path;
  gboolean single_file;
  gboolean synthetic;                   /* random weights, no files */
  guint64 seed;
  GPtrArray *requests;                  /* synthetic: SeWeightRequest*, what the
                                           loaders read (bench-load writes a
                                           file of these shapes) */
  GPtrArray *files;                     /* SeSafetensors*, owned */
  GHashTable *names[SE_NET_COUNT];      /* diffusers name -> SeWeightRef* */
  SeUNetConfig unet;
  SeVaeConfig vae;
  SeClipConfig clip;
  char *tokenizer_dir;
  GCancellable *cancel;                 /* while a load runs: stops it between
                                           tensors (not owned), else NULL */
} SeModelFiles;

/* tokenizer_dir may be NULL: the folder's tokenizer/, or for a single file a
 * tokenizer/ folder next to it. */
SeModelFiles *se_model_files_open (const char *path, const char *tokenizer_dir, GError **error);
/* SD 1.5's exact configuration with seeded random weights made on demand
 * (scaled by 1/sqrt(fan-in), norms near 1): for benchmarks at real sizes,
 * never for pictures.  No tokenizer. */
SeModelFiles *se_model_files_new_synthetic (guint64 seed);
void          se_model_files_free (SeModelFiles *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeModelFiles, se_model_files_free)

const SeWeightRef *se_model_files_find (const SeModelFiles *m, SeNet net, const char *name);

/* Reads a network's tensor as floats after checking it has the expected
 * shape (a [O, C, 1, 1] kernel also passes for [O, C]). */
gboolean se_model_files_read (const SeModelFiles *m, SeNet net, const char *name, guint ndim,
                              const gint64 *shape, float *out, GError **error);
/* The same, uploaded as dtype. */
SeTensor *se_model_files_upload (const SeModelFiles *m, SeNet net, SeGpu *gpu, const char *name,
                                 guint ndim, const gint64 *shape, SeDType dtype, GError **error);

/* A 3x3 kernel [O, C, 3, 3] uploaded packed (se_tensor_new_packed_3x3);
 * a file's bytes go up as they are when they are already dtype. */
SeTensor *se_model_files_upload_packed_3x3 (const SeModelFiles *m, SeNet net, SeGpu *gpu, const char *name,
                                            gint64 O, gint64 C, SeDType dtype, GError **error);

/* LDM single-file key -> (network, diffusers name); NULL for keys we do not
 * use (EMA copies, schedule buffers, position_ids).  layers is the UNet's
 * resnets per block, vae_blocks the VAE's block count. */
char *se_ldm_to_diffusers (const char *key, guint layers, guint vae_blocks, SeNet *net);

G_END_DECLS
