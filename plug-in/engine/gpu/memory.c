/* memory.c: block allocation, first-fit sub-allocation, staging copies. */
#include "memory.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define BLOCK_SIZE ((VkDeviceSize) 256 << 20)
#define STAGING_SIZE ((VkDeviceSize) 64 << 20)

typedef struct {
  VkDeviceSize offset, size;
} Range;

typedef struct {
  VkDeviceMemory memory;
  VkBuffer buffer;
  VkDeviceSize size;
  GArray *free;         /* Range, sorted by offset, never adjacent */
} Block;

struct _SeMemory {
  GArray *blocks;       /* Block */
  VkDeviceSize alignment, in_use, peak;
  /* staging */
  VkDeviceMemory staging_memory;
  VkBuffer staging;
  void *staging_map;
  VkCommandPool pool;
  VkCommandBuffer cmd;
  VkFence fence;
};

/* Sizes are handed out in multiples of the binding alignment, at least one. */
static VkDeviceSize
rounded_size (const SeMemory *m, VkDeviceSize size)
{
  return (MAX (size, 1) + m->alignment - 1) / m->alignment * m->alignment;
}

static int
find_memory_type (SeGpu *gpu, guint32 bits, VkMemoryPropertyFlags want)
{
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties (gpu->physical, &mp);
  for (guint32 i = 0; i < mp.memoryTypeCount; i++)
    if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want)
      return (int) i;
  return -1;
}

/* Creates a buffer of size bytes with its own memory, preferring the flags
 * in prefer and requiring those in need. */
static gboolean
create_buffer (SeGpu *gpu, VkDeviceSize size, VkBufferUsageFlags usage,
               VkMemoryPropertyFlags prefer, VkMemoryPropertyFlags need,
               VkBuffer *buffer, VkDeviceMemory *memory, GError **error)
{
  VkBufferCreateInfo bi = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = usage,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  if (!se_vk_check (vkCreateBuffer (gpu->device, &bi, NULL, buffer), "vkCreateBuffer", error))
    return FALSE;
  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements (gpu->device, *buffer, &req);
  int type = find_memory_type (gpu, req.memoryTypeBits, prefer | need);
  if (type < 0)
    type = find_memory_type (gpu, req.memoryTypeBits, need);
  if (type < 0) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 "Vulkan: no memory type fits a buffer of %llu bytes",
                 (unsigned long long) size);
    vkDestroyBuffer (gpu->device, *buffer, NULL);
    *buffer = VK_NULL_HANDLE;
    return FALSE;
  }
  VkMemoryAllocateInfo ai = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = req.size,
    .memoryTypeIndex = (guint32) type,
  };
  VkResult r = vkAllocateMemory (gpu->device, &ai, NULL, memory);
  if (r == VK_SUCCESS)
    r = vkBindBufferMemory (gpu->device, *buffer, *memory, 0);
  if (r != VK_SUCCESS) {
    g_autofree char *what = g_strdup_printf ("allocating %llu MiB of device memory",
                                             (unsigned long long) (size >> 20));
    se_vk_check (r, what, error);
    vkDestroyBuffer (gpu->device, *buffer, NULL);
    if (*memory)
      vkFreeMemory (gpu->device, *memory, NULL);
    *buffer = VK_NULL_HANDLE;
    *memory = VK_NULL_HANDLE;
    return FALSE;
  }
  return TRUE;
}

gboolean
se_memory_init (SeGpu *gpu, GError **error)
{
  SeMemory *m = g_new0 (SeMemory, 1);
  gpu->memory = m;
  m->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  m->alignment = MAX (gpu->info.storage_offset_alignment, 16);
  VkCommandPoolCreateInfo pi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = gpu->queue_family,
  };
  VkFenceCreateInfo fi = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  if (!create_buffer (gpu, STAGING_SIZE,
                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                      &m->staging, &m->staging_memory, error) ||
      !se_vk_check (vkMapMemory (gpu->device, m->staging_memory, 0, VK_WHOLE_SIZE, 0,
                                 &m->staging_map), "vkMapMemory (staging)", error) ||
      !se_vk_check (vkCreateCommandPool (gpu->device, &pi, NULL, &m->pool),
                    "vkCreateCommandPool (transfers)", error) ||
      !se_vk_check (vkCreateFence (gpu->device, &fi, NULL, &m->fence), "vkCreateFence", error))
    return FALSE;
  VkCommandBufferAllocateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = m->pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  return se_vk_check (vkAllocateCommandBuffers (gpu->device, &ci, &m->cmd),
                      "vkAllocateCommandBuffers (transfers)", error);
}

void
se_memory_fini (SeGpu *gpu)
{
  SeMemory *m = gpu->memory;
  if (m == NULL)
    return;
  VkDevice dev = gpu->device;
  for (guint i = 0; i < m->blocks->len; i++) {
    Block *b = &g_array_index (m->blocks, Block, i);
    vkDestroyBuffer (dev, b->buffer, NULL);
    vkFreeMemory (dev, b->memory, NULL);
    g_array_unref (b->free);
  }
  g_array_unref (m->blocks);
  if (m->fence)
    vkDestroyFence (dev, m->fence, NULL);
  if (m->pool)
    vkDestroyCommandPool (dev, m->pool, NULL);
  if (m->staging_map)
    vkUnmapMemory (dev, m->staging_memory);
  if (m->staging)
    vkDestroyBuffer (dev, m->staging, NULL);
  if (m->staging_memory)
    vkFreeMemory (dev, m->staging_memory, NULL);
  g_free (m);
  gpu->memory = NULL;
}

static gboolean
add_block (SeGpu *gpu, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  if (m->blocks->len >= gpu->info.max_allocation_count / 2) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("Vulkan: %u memory blocks already allocated (device limit %u)"),
                 m->blocks->len, gpu->info.max_allocation_count);
    return FALSE;
  }
  Block b = { .size = size, .free = g_array_new (FALSE, FALSE, sizeof (Range)) };
  if (!create_buffer (gpu, size,
                      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, &b.buffer, &b.memory, error)) {
    g_array_unref (b.free);
    return FALSE;
  }
  Range all = { 0, size };
  g_array_append_val (b.free, all);
  g_array_append_val (m->blocks, b);
  return TRUE;
}

static gboolean
take_from (SeMemory *m, guint index, VkDeviceSize size, SeAlloc *out)
{
  Block *b = &g_array_index (m->blocks, Block, index);
  for (guint i = 0; i < b->free->len; i++) {
    Range *r = &g_array_index (b->free, Range, i);
    if (r->size < size)
      continue;
    *out = (SeAlloc) { .buffer = b->buffer, .offset = r->offset, .size = size, .block = index };
    r->offset += size;
    r->size -= size;
    if (r->size == 0)
      g_array_remove_index (b->free, i);
    return TRUE;
  }
  return FALSE;
}

gboolean
se_memory_alloc (SeGpu *gpu, VkDeviceSize size, SeAlloc *out, GError **error)
{
  SeMemory *m = gpu->memory;
  if (size > gpu->info.max_storage_buffer_range) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("Vulkan: a tensor of %llu bytes exceeds this device's "
                   "storage-buffer range of %llu bytes"),
                 (unsigned long long) size,
                 (unsigned long long) gpu->info.max_storage_buffer_range);
    return FALSE;
  }
  VkDeviceSize rounded = rounded_size (m, size);
  gboolean found = FALSE;
  for (guint i = 0; i < m->blocks->len && !found; i++)
    found = take_from (m, i, rounded, out);
  if (!found) {
    VkDeviceSize block = MIN (BLOCK_SIZE, gpu->info.max_allocation_size);
    if (!add_block (gpu, MAX (block, rounded), error))
      return FALSE;
    found = take_from (m, m->blocks->len - 1, rounded, out);
    g_assert (found);
  }
  out->size = size;
  m->in_use += rounded;
  m->peak = MAX (m->peak, m->in_use);
  return TRUE;
}

void
se_memory_release (SeGpu *gpu, const SeAlloc *alloc)
{
  SeMemory *m = gpu->memory;
  if (alloc == NULL || alloc->buffer == VK_NULL_HANDLE)
    return;
  Block *b = &g_array_index (m->blocks, Block, alloc->block);
  VkDeviceSize size = rounded_size (m, alloc->size);
  m->in_use -= size;
  guint i = 0;
  while (i < b->free->len && g_array_index (b->free, Range, i).offset < alloc->offset)
    i++;
  Range r = { alloc->offset, size };
  g_array_insert_val (b->free, i, r);
  /* merge with the next range, then with the previous one */
  if (i + 1 < b->free->len) {
    Range *next = &g_array_index (b->free, Range, i + 1);
    Range *cur = &g_array_index (b->free, Range, i);
    if (cur->offset + cur->size == next->offset) {
      cur->size += next->size;
      g_array_remove_index (b->free, i + 1);
    }
  }
  if (i > 0) {
    Range *prev = &g_array_index (b->free, Range, i - 1);
    Range *cur = &g_array_index (b->free, Range, i);
    if (prev->offset + prev->size == cur->offset) {
      prev->size += cur->size;
      g_array_remove_index (b->free, i);
    }
  }
}

/* Records one buffer copy in the transfer command buffer, submits, waits. */
static gboolean
copy_and_wait (SeGpu *gpu, VkBuffer src, VkDeviceSize src_off, VkBuffer dst,
               VkDeviceSize dst_off, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkBufferCopy region = { src_off, dst_off, size };
  /* Make earlier compute writes visible to the copy, and the copy visible to
   * later compute and host reads. */
  VkMemoryBarrier before = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier after = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT,
  };
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &m->cmd,
  };
  if (!se_vk_check (vkResetCommandBuffer (m->cmd, 0), "vkResetCommandBuffer", error) ||
      !se_vk_check (vkBeginCommandBuffer (m->cmd, &bi), "vkBeginCommandBuffer", error))
    return FALSE;
  vkCmdPipelineBarrier (m->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
  vkCmdCopyBuffer (m->cmd, src, dst, 1, &region);
  vkCmdPipelineBarrier (m->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                        0, 1, &after, 0, NULL, 0, NULL);
  return se_vk_check (vkEndCommandBuffer (m->cmd), "vkEndCommandBuffer", error) &&
         se_vk_check (vkResetFences (gpu->device, 1, &m->fence), "vkResetFences", error) &&
         se_vk_check (vkQueueSubmit (gpu->queue, 1, &si, m->fence), "vkQueueSubmit (copy)", error) &&
         se_vk_check (vkWaitForFences (gpu->device, 1, &m->fence, VK_TRUE, UINT64_MAX),
                      "vkWaitForFences (copy)", error);
}

gboolean
se_memory_upload (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                  const void *data, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  g_return_val_if_fail (offset + size <= alloc->size, FALSE);
  for (VkDeviceSize done = 0; done < size; done += STAGING_SIZE) {
    VkDeviceSize n = MIN (STAGING_SIZE, size - done);
    memcpy (m->staging_map, (const char *) data + done, n);
    if (!copy_and_wait (gpu, m->staging, 0, alloc->buffer, alloc->offset + offset + done, n, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
se_memory_download (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                    void *data, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  g_return_val_if_fail (offset + size <= alloc->size, FALSE);
  for (VkDeviceSize done = 0; done < size; done += STAGING_SIZE) {
    VkDeviceSize n = MIN (STAGING_SIZE, size - done);
    if (!copy_and_wait (gpu, alloc->buffer, alloc->offset + offset + done, m->staging, 0, n, error))
      return FALSE;
    memcpy ((char *) data + done, m->staging_map, n);
  }
  return TRUE;
}

VkDeviceSize se_memory_in_use (SeGpu *gpu) { return gpu->memory->in_use; }
VkDeviceSize se_memory_peak (SeGpu *gpu) { return gpu->memory->peak; }
void se_memory_reset_peak (SeGpu *gpu) { gpu->memory->peak = gpu->memory->in_use; }
guint se_memory_block_count (SeGpu *gpu) { return gpu->memory->blocks->len; }
