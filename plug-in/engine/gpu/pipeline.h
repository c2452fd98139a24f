/* pipeline.h: compute pipelines from the embedded SPIR-V, built once per
 * (shader, specialization constants) and cached for the device's lifetime.
 *
 * Every shader takes its buffers as storage-buffer bindings 0..n-1 of set 0
 * and its shapes as push constants (at most SE_PUSH_CONSTANT_SIZE bytes);
 * specialization constants 0..k-1 carry tile sizes and other values that
 * must be known when the pipeline is compiled. */
#pragma once

#include "device.h"

G_BEGIN_DECLS

#define SE_PUSH_CONSTANT_SIZE 128
#define SE_MAX_SPEC_CONSTANTS 8
#define SE_MAX_BINDINGS 8

typedef enum {
  SE_SHADER_MATMUL,
  SE_SHADER_MATMUL_A16,
  SE_SHADER_MATMUL_B16,
  SE_SHADER_CONV2D,
  SE_SHADER_CONV2D_W16,
  SE_SHADER_GROUPNORM,
  SE_SHADER_LAYERNORM,
  SE_SHADER_SOFTMAX,
  SE_SHADER_ATTENTION,
  SE_SHADER_ELEMENTWISE,
  SE_SHADER_GEGLU,
  SE_SHADER_COPY_STRIDED,
  SE_SHADER_UPSAMPLE_NEAREST,
  SE_SHADER_TIMESTEP_EMBEDDING,
  SE_SHADER_PAD_ROWS,
  SE_SHADER_PAD_ROWS_F16,
  SE_SHADER_MATMUL_SG,
  SE_SHADER_MATMUL_SG_A16,
  SE_SHADER_MATMUL_SG_B16,
  SE_SHADER_CONV3X3_SG,
  SE_SHADER_CONV3X3_SG_W16,
  SE_SHADER_ATTENTION_SG,
  SE_SHADER_GROUPNORM_SG,
  SE_SHADER_LAYERNORM_SG,
  SE_SHADER_COUNT
} SeShaderId;

typedef struct {
  VkPipeline pipeline;
  VkPipelineLayout layout;
  VkDescriptorSetLayout set_layout;
  guint n_bindings;
  const char *name;     /* operator kind, for profiles */
  SeShaderId shader;
} SePipeline;

gboolean se_pipelines_init (SeGpu *gpu, GError **error);
void     se_pipelines_fini (SeGpu *gpu);

const SePipeline *se_pipeline_get (SeGpu *gpu, SeShaderId shader,
                                   const guint32 *spec, guint n_spec, GError **error);

/* How many pipelines were compiled so far (the cache's size). */
guint se_pipelines_compiled (SeGpu *gpu);

G_END_DECLS
