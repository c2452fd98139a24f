/* pipeline.c: the embedded shader table and the pipeline cache. */
#include "pipeline.h"

#include <stdint.h>
#include <string.h>

#include "shader-code.h"

typedef struct {
  const char *name;
  const uint32_t *code;
  gsize size;
  guint n_bindings;
} ShaderInfo;

#define X(ID, name, bindings) [SE_SHADER_##ID] = { #name, se_spv_##name, sizeof se_spv_##name, bindings },

static const ShaderInfo shaders[SE_SHADER_COUNT] = {
  SE_SHADER_VARIANTS
};
#undef X

const char *
se_shader_name (SeShaderId id)
{
  g_return_val_if_fail (id < SE_SHADER_COUNT, NULL);
  return shaders[id].name;
}

char *
se_pipelines_code_checksum (SeShaderId first, SeShaderId last)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (SeShaderId id = first; id <= last; id++)
    g_checksum_update (sum, (const guchar *) shaders[id].code, shaders[id].size);
  return g_strdup (g_checksum_get_string (sum));
}

typedef struct {
  SeShaderId shader;
  guint n_spec;
  guint32 spec[SE_MAX_SPEC_CONSTANTS];
} Key;

struct _SePipelines {
  VkPipelineCache cache;
  VkShaderModule modules[SE_SHADER_COUNT];
  VkDescriptorSetLayout set_layouts[SE_SHADER_COUNT];
  VkPipelineLayout layouts[SE_SHADER_COUNT];
  GHashTable *pipelines;        /* Key* -> SePipeline* */
  gsize initial_size;           /* of the data the cache started from */
};

static guint
key_hash (gconstpointer p)
{
  const Key *k = p;
  guint h = k->shader * 16777619u ^ k->n_spec;
  for (guint i = 0; i < k->n_spec; i++)
    h = (h ^ k->spec[i]) * 16777619u;
  return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const Key *x = a, *y = b;
  return x->shader == y->shader && x->n_spec == y->n_spec &&
         memcmp (x->spec, y->spec, x->n_spec * sizeof (guint32)) == 0;
}

gboolean
se_pipelines_init (SeGpu *gpu, GBytes *cache_data, GError **error)
{
  SePipelines *p = g_new0 (SePipelines, 1);
  gpu->pipelines = p;
  p->pipelines = g_hash_table_new_full (key_hash, key_equal, g_free, g_free);
  gsize size = 0;
  const void *data = cache_data ? g_bytes_get_data (cache_data, &size) : NULL;
  p->initial_size = size;
  VkPipelineCacheCreateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
    .initialDataSize = size,
    .pInitialData = data,
  };
  return se_vk_check (vkCreatePipelineCache (gpu->device, &ci, NULL, &p->cache),
                      "vkCreatePipelineCache", error);
}

GBytes *
se_pipelines_cache_data (SeGpu *gpu)
{
  VkPipelineCache cache = gpu->pipelines->cache;
  size_t size = 0;
  if (cache == VK_NULL_HANDLE || vkGetPipelineCacheData (gpu->device, cache, &size, NULL) != VK_SUCCESS ||
      size == 0)
    return NULL;
  void *data = g_try_malloc (size);
  if (data == NULL || vkGetPipelineCacheData (gpu->device, cache, &size, data) != VK_SUCCESS) {
    g_free (data);
    return NULL;
  }
  return g_bytes_new_take (data, size);
}

gsize
se_pipelines_initial_size (SeGpu *gpu)
{
  return gpu->pipelines->initial_size;
}

void
se_pipelines_fini (SeGpu *gpu)
{
  SePipelines *p = gpu->pipelines;
  if (p == NULL)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, p->pipelines);
  while (g_hash_table_iter_next (&it, NULL, &value))
    vkDestroyPipeline (gpu->device, ((SePipeline *) value)->pipeline, NULL);
  g_hash_table_unref (p->pipelines);
  for (guint i = 0; i < SE_SHADER_COUNT; i++) {
    if (p->layouts[i])
      vkDestroyPipelineLayout (gpu->device, p->layouts[i], NULL);
    if (p->set_layouts[i])
      vkDestroyDescriptorSetLayout (gpu->device, p->set_layouts[i], NULL);
    if (p->modules[i])
      vkDestroyShaderModule (gpu->device, p->modules[i], NULL);
  }
  if (p->cache)
    vkDestroyPipelineCache (gpu->device, p->cache, NULL);
  g_free (p);
  gpu->pipelines = NULL;
}

/* The module and layouts of a shader, made on first use. */
static gboolean
ensure_shader (SeGpu *gpu, SeShaderId id, GError **error)
{
  SePipelines *p = gpu->pipelines;
  const ShaderInfo *s = &shaders[id];
  if (p->modules[id])
    return TRUE;
  VkShaderModuleCreateInfo mi = {
    .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
    .codeSize = s->size,
    .pCode = s->code,
  };
  VkDescriptorSetLayoutBinding b[SE_MAX_BINDINGS];
  for (guint i = 0; i < s->n_bindings; i++)
    b[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  VkDescriptorSetLayoutCreateInfo di = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .bindingCount = s->n_bindings,
    .pBindings = b,
  };
  VkPushConstantRange pc = { VK_SHADER_STAGE_COMPUTE_BIT, 0, SE_PUSH_CONSTANT_SIZE };
  g_autofree char *what = g_strdup_printf ("creating the %s shader", s->name);
  if (!se_vk_check (vkCreateDescriptorSetLayout (gpu->device, &di, NULL, &p->set_layouts[id]), what, error))
    return FALSE;
  VkPipelineLayoutCreateInfo li = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &p->set_layouts[id],
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &pc,
  };
  if (!se_vk_check (vkCreatePipelineLayout (gpu->device, &li, NULL, &p->layouts[id]), what, error))
    return FALSE;
  return se_vk_check (vkCreateShaderModule (gpu->device, &mi, NULL, &p->modules[id]), what, error);
}

const SePipeline *
se_pipeline_get (SeGpu *gpu, SeShaderId id, const guint32 *spec, guint n_spec, GError **error)
{
  SePipelines *p = gpu->pipelines;
  g_return_val_if_fail (id < SE_SHADER_COUNT && n_spec <= SE_MAX_SPEC_CONSTANTS, NULL);
  Key key = { .shader = id, .n_spec = n_spec };
  if (n_spec)
    memcpy (key.spec, spec, n_spec * sizeof (guint32));
  SePipeline *found = g_hash_table_lookup (p->pipelines, &key);
  if (found)
    return found;
  if (!ensure_shader (gpu, id, error))
    return NULL;

  VkSpecializationMapEntry entries[SE_MAX_SPEC_CONSTANTS];
  for (guint i = 0; i < n_spec; i++)
    entries[i] = (VkSpecializationMapEntry) { i, i * sizeof (guint32), sizeof (guint32) };
  VkSpecializationInfo si = {
    .mapEntryCount = n_spec,
    .pMapEntries = entries,
    .dataSize = n_spec * sizeof (guint32),
    .pData = key.spec,
  };
  VkComputePipelineCreateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
    .stage = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
      .module = p->modules[id],
      .pName = "main",
      .pSpecializationInfo = n_spec ? &si : NULL,
    },
    .layout = p->layouts[id],
  };
  SePipeline *pl = g_new0 (SePipeline, 1);
  g_autofree char *what = g_strdup_printf ("compiling the %s pipeline", shaders[id].name);
  if (!se_vk_check (vkCreateComputePipelines (gpu->device, p->cache, 1, &ci, NULL, &pl->pipeline),
                    what, error)) {
    g_free (pl);
    return NULL;
  }
  pl->layout = p->layouts[id];
  pl->set_layout = p->set_layouts[id];
  pl->n_bindings = shaders[id].n_bindings;
  pl->name = shaders[id].name;
  pl->shader = id;
  g_hash_table_insert (p->pipelines, g_memdup2 (&key, sizeof key), pl);
  return pl;
}

guint
se_pipelines_compiled (SeGpu *gpu)
{
  return g_hash_table_size (gpu->pipelines->pipelines);
}
