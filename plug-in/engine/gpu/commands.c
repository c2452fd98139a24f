/* commands.c: command recording, hazard-driven barriers, submission,
 * timestamps, and captured evaluations replayed without re-recording. */
#include "commands.h"

#include <string.h>

#define SETS_PER_POOL 1024
#define MAX_TIMESTAMPS 8192

typedef struct {
  VkBuffer buffer;
  VkDeviceSize offset, size;
  gboolean write;
} Access;

typedef struct {
  double ms;
  guint count;
} ProfileEntry;

/* A command buffer being recorded, with its descriptor sets and the
 * buffer ranges touched since its last barrier. */
typedef struct {
  VkCommandBuffer cmd;
  GPtrArray *descriptor_pools;  /* VkDescriptorPool, boxed */
  guint current_pool;
  gboolean recording;
  GArray *accesses;             /* Access since the last barrier */
  gboolean timestamps;          /* profile this recorder's dispatches */
} Recorder;

struct _SeRecording {
  Recorder rec;
  SePool *arena;
  guint64 dispatches;
};

struct _SeCommands {
  VkCommandPool pool;
  VkFence fence;
  Recorder main;                /* recorded, submitted once, reset */
  SeRecording *capture;         /* being captured, or NULL */
  SeCmdStats stats;
  /* profiling (direct submissions only) */
  gboolean profile;
  VkQueryPool queries;
  guint n_queries;
  const char *labels[MAX_TIMESTAMPS];
  GHashTable *profile_totals;   /* const char* -> ProfileEntry* */
};

static Recorder *
current (SeCommands *c)
{
  return c->capture ? &c->capture->rec : &c->main;
}

static gboolean
add_descriptor_pool (SeGpu *gpu, Recorder *r, GError **error)
{
  VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, SETS_PER_POOL * SE_MAX_BINDINGS };
  VkDescriptorPoolCreateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = SETS_PER_POOL,
    .poolSizeCount = 1,
    .pPoolSizes = &size,
  };
  VkDescriptorPool *pool = g_new0 (VkDescriptorPool, 1);
  if (!se_vk_check (vkCreateDescriptorPool (gpu->device, &ci, NULL, pool),
                    "vkCreateDescriptorPool", error)) {
    g_free (pool);
    return FALSE;
  }
  g_ptr_array_add (r->descriptor_pools, pool);
  return TRUE;
}

static gboolean
recorder_init (SeGpu *gpu, Recorder *r, GError **error)
{
  SeCommands *c = gpu->commands;
  r->descriptor_pools = g_ptr_array_new_with_free_func (g_free);
  r->accesses = g_array_new (FALSE, FALSE, sizeof (Access));
  VkCommandBufferAllocateInfo ai = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = c->pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  return add_descriptor_pool (gpu, r, error) &&
         se_vk_check (vkAllocateCommandBuffers (gpu->device, &ai, &r->cmd), "vkAllocateCommandBuffers", error);
}

static void
recorder_fini (SeGpu *gpu, Recorder *r)
{
  if (r->descriptor_pools) {
    for (guint i = 0; i < r->descriptor_pools->len; i++)
      vkDestroyDescriptorPool (gpu->device, *(VkDescriptorPool *) r->descriptor_pools->pdata[i], NULL);
    g_ptr_array_unref (r->descriptor_pools);
  }
  if (r->accesses)
    g_array_unref (r->accesses);
  if (r->cmd)
    vkFreeCommandBuffers (gpu->device, gpu->commands->pool, 1, &r->cmd);
}

gboolean
se_commands_init (SeGpu *gpu, gboolean profile, GError **error)
{
  SeCommands *c = g_new0 (SeCommands, 1);
  gpu->commands = c;
  c->profile_totals = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  c->profile = profile && gpu->info.timestamp_period_ns > 0;
  c->main.timestamps = c->profile;

  VkCommandPoolCreateInfo pi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = gpu->queue_family,
  };
  VkFenceCreateInfo fi = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  if (!se_vk_check (vkCreateCommandPool (gpu->device, &pi, NULL, &c->pool), "vkCreateCommandPool", error) ||
      !se_vk_check (vkCreateFence (gpu->device, &fi, NULL, &c->fence), "vkCreateFence", error) ||
      !recorder_init (gpu, &c->main, error))
    return FALSE;
  if (c->profile) {
    VkQueryPoolCreateInfo qi = {
      .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
      .queryType = VK_QUERY_TYPE_TIMESTAMP,
      .queryCount = MAX_TIMESTAMPS,
    };
    if (!se_vk_check (vkCreateQueryPool (gpu->device, &qi, NULL, &c->queries), "vkCreateQueryPool", error))
      return FALSE;
  }
  return TRUE;
}

void
se_commands_fini (SeGpu *gpu)
{
  SeCommands *c = gpu->commands;
  if (c == NULL)
    return;
  if (c->capture) {
    SeRecording *open = NULL;
    se_cmd_capture_end (gpu, &open, NULL);
    se_recording_free (gpu, open);
  }
  recorder_fini (gpu, &c->main);
  g_hash_table_unref (c->profile_totals);
  if (c->queries)
    vkDestroyQueryPool (gpu->device, c->queries, NULL);
  if (c->fence)
    vkDestroyFence (gpu->device, c->fence, NULL);
  if (c->pool)
    vkDestroyCommandPool (gpu->device, c->pool, NULL);
  g_free (c);
  gpu->commands = NULL;
}

static void
barrier (SeGpu *gpu, Recorder *r, VkPipelineStageFlags src_stages, VkAccessFlags src_access)
{
  VkMemoryBarrier b = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = src_access,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  vkCmdPipelineBarrier (r->cmd, src_stages, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        0, 1, &b, 0, NULL, 0, NULL);
  g_array_set_size (r->accesses, 0);
  gpu->commands->stats.barriers++;
}

static gboolean
begin (SeGpu *gpu, Recorder *r, gboolean one_time, GError **error)
{
  SeCommands *c = gpu->commands;
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = one_time ? VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT : 0,
  };
  if (!se_vk_check (vkBeginCommandBuffer (r->cmd, &bi), "vkBeginCommandBuffer", error))
    return FALSE;
  r->recording = TRUE;
  /* Order this batch after earlier submissions' compute work and copies. */
  barrier (gpu, r, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
           VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  if (r->timestamps) {
    vkCmdResetQueryPool (r->cmd, c->queries, 0, MAX_TIMESTAMPS);
    vkCmdWriteTimestamp (r->cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, c->queries, 0);
    c->n_queries = 1;
  }
  return TRUE;
}

static gboolean
overlaps (const Access *a, VkBuffer buffer, VkDeviceSize offset, VkDeviceSize size)
{
  return a->buffer == buffer && a->offset < offset + size && offset < a->offset + a->size;
}

/* TRUE when the binding conflicts with an access since the last barrier. */
static gboolean
hazard (const Recorder *r, const SeBinding *b)
{
  for (guint i = 0; i < r->accesses->len; i++) {
    const Access *a = &g_array_index (r->accesses, Access, i);
    if ((a->write || b->write) && overlaps (a, b->alloc->buffer, b->alloc->offset, b->alloc->size))
      return TRUE;
  }
  return FALSE;
}

static gboolean
allocate_set (SeGpu *gpu, Recorder *r, VkDescriptorSetLayout layout, VkDescriptorSet *set, GError **error)
{
  for (;;) {
    VkDescriptorSetAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = *(VkDescriptorPool *) r->descriptor_pools->pdata[r->current_pool],
      .descriptorSetCount = 1,
      .pSetLayouts = &layout,
    };
    VkResult res = vkAllocateDescriptorSets (gpu->device, &ai, set);
    if (res != VK_ERROR_OUT_OF_POOL_MEMORY && res != VK_ERROR_FRAGMENTED_POOL)
      return se_vk_check (res, "vkAllocateDescriptorSets", error);
    r->current_pool++;
    if (r->current_pool == r->descriptor_pools->len && !add_descriptor_pool (gpu, r, error))
      return FALSE;
  }
}

gboolean
se_cmd_dispatch (SeGpu *gpu, const SePipeline *pipeline, const SeBinding *bindings, guint n_bindings,
                 const void *push, gsize push_size, guint32 gx, guint32 gy, guint32 gz, GError **error)
{
  SeCommands *c = gpu->commands;
  Recorder *r = current (c);
  g_return_val_if_fail (n_bindings == pipeline->n_bindings && push_size <= SE_PUSH_CONSTANT_SIZE, FALSE);
  const guint32 *limit = gpu->info.max_workgroup_count;
  if (gx > limit[0] || gy > limit[1] || gz > limit[2]) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 "%s: a grid of %u x %u x %u workgroups exceeds the device limit %u x %u x %u",
                 pipeline->name, gx, gy, gz, limit[0], limit[1], limit[2]);
    return FALSE;
  }
  if (gx == 0 || gy == 0 || gz == 0)
    return TRUE;
  if (!r->recording && !begin (gpu, r, r == &c->main, error))
    return FALSE;

  VkDescriptorSet set;
  if (!allocate_set (gpu, r, pipeline->set_layout, &set, error))
    return FALSE;
  VkDescriptorBufferInfo infos[SE_MAX_BINDINGS];
  VkWriteDescriptorSet writes[SE_MAX_BINDINGS];
  gboolean need_barrier = FALSE;
  for (guint i = 0; i < n_bindings; i++) {
    infos[i] = (VkDescriptorBufferInfo) { bindings[i].alloc->buffer, bindings[i].alloc->offset,
                                          bindings[i].alloc->size };
    writes[i] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = set,
      .dstBinding = i,
      .descriptorCount = 1,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = &infos[i],
    };
    need_barrier = need_barrier || hazard (r, &bindings[i]);
  }
  vkUpdateDescriptorSets (gpu->device, n_bindings, writes, 0, NULL);
  if (need_barrier)
    barrier (gpu, r, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
  for (guint i = 0; i < n_bindings; i++) {
    Access a = { bindings[i].alloc->buffer, bindings[i].alloc->offset, bindings[i].alloc->size,
                 bindings[i].write };
    g_array_append_val (r->accesses, a);
  }

  vkCmdBindPipeline (r->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->pipeline);
  vkCmdBindDescriptorSets (r->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline->layout, 0, 1, &set, 0, NULL);
  if (push_size)
    vkCmdPushConstants (r->cmd, pipeline->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, (guint32) push_size, push);
  vkCmdDispatch (r->cmd, gx, gy, gz);
  c->stats.dispatches++;
  c->stats.by_shader[pipeline->shader]++;
  if (c->capture)
    c->capture->dispatches++;
  if (r->timestamps && c->n_queries < MAX_TIMESTAMPS) {
    vkCmdWriteTimestamp (r->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, c->queries, c->n_queries);
    c->labels[c->n_queries++] = pipeline->name;
  }
  return TRUE;
}

static gboolean
collect_timestamps (SeGpu *gpu, GError **error)
{
  SeCommands *c = gpu->commands;
  if (!c->profile || c->n_queries < 2)
    return TRUE;
  g_autofree guint64 *ts = g_new (guint64, c->n_queries);
  if (!se_gpu_check (gpu, vkGetQueryPoolResults (gpu->device, c->queries, 0, c->n_queries,
                                                 c->n_queries * sizeof (guint64), ts, sizeof (guint64),
                                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
                     "vkGetQueryPoolResults", error))
    return FALSE;
  for (guint i = 1; i < c->n_queries; i++) {
    ProfileEntry *e = g_hash_table_lookup (c->profile_totals, c->labels[i]);
    if (e == NULL) {
      e = g_new0 (ProfileEntry, 1);
      g_hash_table_insert (c->profile_totals, (gpointer) c->labels[i], e);
    }
    e->ms += (double) (ts[i] - ts[i - 1]) * gpu->info.timestamp_period_ns * 1e-6;
    e->count++;
  }
  return TRUE;
}

/* Makes the main recorder's descriptor sets and command buffer reusable
 * after a batch ran or was dropped. */
static void
recycle (SeGpu *gpu)
{
  SeCommands *c = gpu->commands;
  Recorder *r = &c->main;
  g_array_set_size (r->accesses, 0);
  for (guint i = 0; i < r->descriptor_pools->len; i++)
    vkResetDescriptorPool (gpu->device, *(VkDescriptorPool *) r->descriptor_pools->pdata[i], 0);
  r->current_pool = 0;
  c->n_queries = 0;
  vkResetCommandBuffer (r->cmd, 0);
}

/* Runs command buffers after the queued uploads, in one submission, and
 * waits once: for them, and so for the uploads submitted before. */
static gboolean
run_buffers (SeGpu *gpu, const VkCommandBuffer *cmds, guint32 count, GError **error)
{
  SeCommands *c = gpu->commands;
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = count,
    .pCommandBuffers = cmds,
  };
  c->stats.submits++;
  c->stats.waits++;
  return se_memory_submit_uploads (gpu, error) &&
         se_vk_check (vkResetFences (gpu->device, 1, &c->fence), "vkResetFences", error) &&
         se_gpu_submit (gpu, &si, c->fence, "vkQueueSubmit", error) &&
         se_gpu_check (gpu, vkWaitForFences (gpu->device, 1, &c->fence, VK_TRUE, UINT64_MAX),
                       "vkWaitForFences", error);
}

static gboolean
run (SeGpu *gpu, VkCommandBuffer cmd, GError **error)
{
  return run_buffers (gpu, &cmd, 1, error);
}

gboolean
se_cmd_submit (SeGpu *gpu, GError **error)
{
  SeCommands *c = gpu->commands;
  if (c->capture) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 "submitting work while an evaluation is being captured (an upload or download "
                 "inside a captured evaluation)");
    return FALSE;
  }
  Recorder *r = &c->main;
  if (!r->recording)
    return TRUE;
  r->recording = FALSE;
  gboolean ok = se_vk_check (vkEndCommandBuffer (r->cmd), "vkEndCommandBuffer", error) &&
                run (gpu, r->cmd, error) && collect_timestamps (gpu, error);
  recycle (gpu);
  return ok;
}

void
se_cmd_discard (SeGpu *gpu)
{
  Recorder *r = &gpu->commands->main;
  if (!r->recording)
    return;
  r->recording = FALSE;
  vkEndCommandBuffer (r->cmd);
  recycle (gpu);
}

gboolean
se_cmd_capture_begin (SeGpu *gpu, GError **error)
{
  SeCommands *c = gpu->commands;
  g_return_val_if_fail (c->capture == NULL, FALSE);
  if (!se_cmd_submit (gpu, error))
    return FALSE;
  SeRecording *rec = g_new0 (SeRecording, 1);
  if (!recorder_init (gpu, &rec->rec, error)) {
    recorder_fini (gpu, &rec->rec);
    g_free (rec);
    return FALSE;
  }
  rec->arena = se_memory_arena_new (gpu);
  se_memory_use_pool (gpu, rec->arena);
  c->capture = rec;
  return TRUE;
}

gboolean
se_cmd_capture_end (SeGpu *gpu, SeRecording **recording, GError **error)
{
  SeCommands *c = gpu->commands;
  SeRecording *rec = c->capture;
  g_return_val_if_fail (rec != NULL, FALSE);
  c->capture = NULL;
  se_memory_use_pool (gpu, NULL);
  *recording = rec;
  if (!rec->rec.recording)
    return TRUE;
  rec->rec.recording = FALSE;
  return se_vk_check (vkEndCommandBuffer (rec->rec.cmd), "vkEndCommandBuffer (capture)", error);
}

gboolean
se_cmd_replay (SeGpu *gpu, SeRecording *rec, GError **error)
{
  return se_cmd_replay_chain (gpu, &rec, 1, NULL, NULL, 0, error);
}

gboolean
se_cmd_replay_chain (SeGpu *gpu, SeRecording *const *recs, guint n, const SeAlloc *src, void *data,
                     VkDeviceSize size, GError **error)
{
  g_autofree VkCommandBuffer *cmds = g_new (VkCommandBuffer, n + 1);
  guint count = 0;
  for (guint i = 0; i < n; i++)
    if (recs[i]->dispatches > 0)        /* one with none was never begun */
      cmds[count++] = recs[i]->rec.cmd;
  /* the copy joins the submission unless it is too large for staging */
  gboolean joined = src && count > 0 && size <= SE_MEMORY_DOWNLOAD_MAX;
  if (!se_cmd_submit (gpu, error) || (joined && !se_memory_download_begin (gpu, src, 0, size, &cmds[count++], error)))
    return FALSE;
  if (count == 0)
    return se_memory_flush (gpu, error) && (src == NULL || se_memory_download (gpu, src, 0, data, size, error));
  gint64 start = g_get_monotonic_time ();
  gboolean ok = run_buffers (gpu, cmds, count, error);
  gpu->commands->stats.replays++;
  gpu->commands->stats.replay_us += g_get_monotonic_time () - start;
  if (ok && joined)
    se_memory_download_finish (gpu, data, size);
  return ok && (joined || src == NULL || se_memory_download (gpu, src, 0, data, size, error));
}

void
se_recording_free (SeGpu *gpu, SeRecording *rec)
{
  if (rec == NULL)
    return;
  recorder_fini (gpu, &rec->rec);
  se_memory_arena_free (gpu, rec->arena);
  g_free (rec);
}

gboolean
se_cmd_profiling (SeGpu *gpu)
{
  return gpu->commands->profile;
}

SeCmdStats
se_cmd_stats (SeGpu *gpu)
{
  return gpu->commands->stats;
}

static gint
by_time (gconstpointer a, gconstpointer b, gpointer totals)
{
  const ProfileEntry *x = g_hash_table_lookup (totals, *(const char **) a);
  const ProfileEntry *y = g_hash_table_lookup (totals, *(const char **) b);
  return (x->ms < y->ms) - (x->ms > y->ms);
}

char *
se_cmd_profile_report (SeGpu *gpu)
{
  SeCommands *c = gpu->commands;
  if (!c->profile)
    return NULL;
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, c->profile_totals);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort_with_data (keys, by_time, c->profile_totals);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < keys->len; i++) {
    const ProfileEntry *e = g_hash_table_lookup (c->profile_totals, keys->pdata[i]);
    g_string_append_printf (out, "%-20s %10.3f ms  %6u dispatches\n",
                            (const char *) keys->pdata[i], e->ms, e->count);
  }
  return g_string_free (out, FALSE);
}

void
se_cmd_profile_reset (SeGpu *gpu)
{
  g_hash_table_remove_all (gpu->commands->profile_totals);
}
