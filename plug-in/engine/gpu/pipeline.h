/* pipeline.h: compute pipelines from the embedded SPIR-V, built once per
 * (shader, specialization constants) and cached for the device's lifetime.
 *
 * Every shader takes its buffers as storage-buffer bindings 0..n-1 of set 0
 * and its shapes as push constants (at most SE_PUSH_CONSTANT_SIZE bytes);
 * specialization constants 0..k-1 carry tile sizes and other values that
 * must be known when the pipeline is compiled. */
#pragma once

#include "device.h"
#include "shader-variants.h"

G_BEGIN_DECLS

#define SE_PUSH_CONSTANT_SIZE 128
#define SE_MAX_SPEC_CONSTANTS 10
#define SE_MAX_BINDINGS 10

/* One id per shader variant, from the list shaders/meson.build generates:
 * SE_SHADER_<FAMILY> + flag bits picks a variant of a family (see there). */
#define X(ID, name, bindings) SE_SHADER_##ID,
typedef enum {
  SE_SHADER_VARIANTS
  SE_SHADER_COUNT
} SeShaderId;
#undef X

typedef struct {
  VkPipeline pipeline;
  VkPipelineLayout layout;
  VkDescriptorSetLayout set_layout;
  guint n_bindings;
  const char *name;     /* operator kind, for profiles */
  SeShaderId shader;
} SePipeline;

/* cache_data: a pipeline cache's contents to start from, or NULL. */
gboolean se_pipelines_init (SeGpu *gpu, GBytes *cache_data, GError **error);
/* The cache's contents (NULL when the driver gives none): what a
 * re-created device starts from, so that it compiles nothing again. */
GBytes  *se_pipelines_cache_data (SeGpu *gpu);
/* The size of the data it started from (0: none). */
gsize    se_pipelines_initial_size (SeGpu *gpu);
void     se_pipelines_fini (SeGpu *gpu);

const SePipeline *se_pipeline_get (SeGpu *gpu, SeShaderId shader,
                                   const guint32 *spec, guint n_spec, GError **error);

/* The pipeline cache kept between runs (pipeline-disk.c), under
 * g_get_user_cache_dir()/semantic-edit/pipelines/, one file per device and
 * driver build (se_gpu_driver_key), with a checksum: what a device starts
 * from (NULL: nothing usable saved), and saving it when it has changed
 * (best effort: a cache that cannot be written is only slower). */
GBytes *se_pipelines_disk_load (const SeGpu *gpu);
void    se_pipelines_disk_save (SeGpu *gpu);

/* A shader variant's name ("matmul_tiled_a16", ...). */
const char *se_shader_name (SeShaderId id);

/* A checksum (hex) of the SPIR-V of the shaders first .. last: what
 * verdicts about them are keyed by. */
char *se_pipelines_code_checksum (SeShaderId first, SeShaderId last);

/* How many pipelines were compiled so far (the cache's size). */
guint se_pipelines_compiled (SeGpu *gpu);

G_END_DECLS
