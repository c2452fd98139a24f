/* memory.c: block allocation, first-fit sub-allocation, staging copies.
 *
 * Uploads go through a staging ring of two halves: each upload is copied
 * into the current half and its buffer copy recorded; a full half is
 * submitted without waiting while the other fills (so reading a file overlaps
 * the device's copies), and se_memory_flush() submits the rest and waits.
 * Compute submissions and downloads flush first, so they see every upload;
 * callers submit recorded compute work before uploading over memory it may
 * still read (tensor.c does). */
#define _DEFAULT_SOURCE 1      /* madvise (MADV_HUGEPAGE) */
#include "memory.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/mman.h>

#include "fault.h"

#define BLOCK_SIZE ((VkDeviceSize) 256 << 20)
#define STAGING_SIZE ((VkDeviceSize) 64 << 20)
#define HALF_SIZE (STAGING_SIZE / 2)
G_STATIC_ASSERT (SE_MEMORY_DOWNLOAD_MAX <= HALF_SIZE);

typedef struct {
  VkDeviceSize offset, size;
} Range;

typedef struct {
  VkDeviceMemory memory;
  VkBuffer buffer;
  VkDeviceSize size;
  GArray *free;         /* Range, sorted by offset, never adjacent */
} Block;

/* A range of device memory a batch of copies wrote. */
typedef struct {
  VkBuffer buffer;
  Range range;
} Written;

/* One half of the staging ring: its copies, recorded or in flight. */
typedef struct {
  VkCommandBuffer cmd;
  VkFence fence;
  VkDeviceSize used;
  gboolean recording, in_flight;
  GArray *written;      /* Written, in this batch since its last barrier */
} Half;

/* A set of blocks with their free lists: the device's main pool, or the
 * arena of one recorded evaluation (held while the recording lives, so a
 * replay finds its intermediates where it left them). */
struct _SePool {
  GArray *blocks;       /* Block */
  VkDeviceSize block_size;
};

struct _SeMemory {
  SePool main;
  SePool *target;       /* where allocations go: &main, or an arena */
  guint block_count;    /* vkAllocateMemory blocks of all pools */
  VkDeviceSize block_bytes;     /* their sizes summed */
  VkDeviceSize budget;          /* SE_DEVICE_BUDGET_MIB in bytes, 0 when unset */
  VkDeviceSize alignment, in_use, peak;
  /* staging */
  VkDeviceMemory staging_memory;
  VkBuffer staging;
  void *staging_map;
  VkCommandPool pool;
  Half half[2];
  guint current;
  guint64 upload_batches;
  guint64 staging_waits;        /* times the host blocked on a staging half */
  /* workgroup counters (se_memory_counters), zero between dispatches */
  VkDeviceMemory counter_memory;
  VkBuffer counters;
  VkDeviceSize next_counter;    /* byte offset of the next range */
};

/* A ring of counters that dispatches take ranges of in turn: large enough
 * that a range rarely meets one still in use since the last barrier
 * (which would cost a barrier, never a wrong count). */
#define COUNTER_BYTES ((VkDeviceSize) 256 << 10)

static void free_blocks (SeGpu *gpu, SePool *pool);

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
               VkBuffer *buffer, VkDeviceMemory *memory, VkMemoryPropertyFlags *flags, GError **error)
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
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties (gpu->physical, &mp);
  *flags = mp.memoryTypes[type].propertyFlags;
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
  m->main.blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  m->main.block_size = MIN (BLOCK_SIZE, gpu->info.max_allocation_size);
  m->target = &m->main;
  m->alignment = MAX (gpu->info.storage_offset_alignment, 16);
  const char *budget = g_getenv ("SE_DEVICE_BUDGET_MIB");
  if (budget && *budget)
    m->budget = MAX (1, g_ascii_strtoull (budget, NULL, 10)) << 20;
  VkCommandPoolCreateInfo pi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = gpu->queue_family,
  };
  VkFenceCreateInfo fi = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkMemoryPropertyFlags flags;
  if (!create_buffer (gpu, STAGING_SIZE,
                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                      &m->staging, &m->staging_memory, &flags, error) ||
      !se_vk_check (vkMapMemory (gpu->device, m->staging_memory, 0, VK_WHOLE_SIZE, 0,
                                 &m->staging_map), "vkMapMemory (staging)", error) ||
      !se_vk_check (vkCreateCommandPool (gpu->device, &pi, NULL, &m->pool),
                    "vkCreateCommandPool (transfers)", error))
    return FALSE;
  VkCommandBufferAllocateInfo ci = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = m->pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  for (guint i = 0; i < 2; i++) {
    Half *h = &m->half[i];
    h->written = g_array_new (FALSE, FALSE, sizeof (Written));
    if (!se_vk_check (vkCreateFence (gpu->device, &fi, NULL, &h->fence), "vkCreateFence (staging)", error) ||
        !se_vk_check (vkAllocateCommandBuffers (gpu->device, &ci, &h->cmd),
                      "vkAllocateCommandBuffers (transfers)", error))
      return FALSE;
  }
  g_autofree guint8 *zeros = g_malloc0 (COUNTER_BYTES);
  SeAlloc all = { .size = COUNTER_BYTES };
  VkBufferUsageFlags usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                             VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (!create_buffer (gpu, all.size, usage, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &m->counters,
                      &m->counter_memory, &flags, error))
    return FALSE;
  all.buffer = m->counters;
  return se_memory_upload (gpu, &all, 0, zeros, all.size, error);
}

gboolean
se_memory_counters_all_zero (SeGpu *gpu, gboolean *zero, GError **error)
{
  SeMemory *m = gpu->memory;
  SeAlloc all = { .buffer = m->counters, .size = COUNTER_BYTES };
  g_autofree guint32 *values = g_malloc (COUNTER_BYTES);
  if (!se_memory_download (gpu, &all, 0, values, COUNTER_BYTES, error))
    return FALSE;
  *zero = TRUE;
  for (gsize i = 0; i < COUNTER_BYTES / sizeof (guint32); i++)
    *zero = *zero && values[i] == 0;
  return TRUE;
}

gboolean
se_memory_counters (SeGpu *gpu, guint n, SeAlloc *range)
{
  SeMemory *m = gpu->memory;
  VkDeviceSize size = rounded_size (m, (VkDeviceSize) n * sizeof (guint32));
  if (size > COUNTER_BYTES / 4)
    return FALSE;
  if (m->next_counter + size > COUNTER_BYTES)
    m->next_counter = 0;
  *range = (SeAlloc) { .buffer = m->counters, .offset = m->next_counter, .size = size };
  m->next_counter += size;
  return TRUE;
}

void
se_memory_fini (SeGpu *gpu)
{
  SeMemory *m = gpu->memory;
  if (m == NULL)
    return;
  VkDevice dev = gpu->device;
  se_memory_flush (gpu, NULL);
  free_blocks (gpu, &m->main);
  for (guint i = 0; i < 2; i++) {
    if (m->half[i].fence)
      vkDestroyFence (dev, m->half[i].fence, NULL);
    if (m->half[i].written)
      g_array_unref (m->half[i].written);
  }
  if (m->pool)
    vkDestroyCommandPool (dev, m->pool, NULL);
  if (m->staging_map)
    vkUnmapMemory (dev, m->staging_memory);
  if (m->staging)
    vkDestroyBuffer (dev, m->staging, NULL);
  if (m->staging_memory)
    vkFreeMemory (dev, m->staging_memory, NULL);
  if (m->counters)
    vkDestroyBuffer (dev, m->counters, NULL);
  if (m->counter_memory)
    vkFreeMemory (dev, m->counter_memory, NULL);
  g_free (m);
  gpu->memory = NULL;
}

static gboolean wait_half (SeGpu *gpu, Half *h, GError **error);
static gboolean submit_half (SeGpu *gpu, Half *h, GError **error);

/* Frees a pool's blocks, once no copy can still write to them: the queued
 * ones run now (a run that failed between queueing its uploads and
 * submitting its work leaves them queued), and those submitted without a
 * wait (uploads before a compute submission that then failed) finish.
 * After a device loss the queued ones are dropped instead. */
static void
free_blocks (SeGpu *gpu, SePool *pool)
{
  SeMemory *m = gpu->memory;
  submit_half (gpu, &m->half[m->current], NULL);
  for (guint i = 0; i < 2; i++)
    if (m->half[i].in_flight)
      wait_half (gpu, &m->half[i], NULL);
  for (guint i = 0; i < pool->blocks->len; i++) {
    Block *b = &g_array_index (pool->blocks, Block, i);
    vkDestroyBuffer (gpu->device, b->buffer, NULL);
    vkFreeMemory (gpu->device, b->memory, NULL);
    g_array_unref (b->free);
    gpu->memory->block_bytes -= b->size;
  }
  gpu->memory->block_count -= pool->blocks->len;
  g_array_unref (pool->blocks);
}

SePool *
se_memory_arena_new (SeGpu *gpu)
{
  SePool *arena = g_new0 (SePool, 1);
  arena->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  arena->block_size = MIN ((VkDeviceSize) 16 << 20, gpu->info.max_allocation_size);
  return arena;
}

void
se_memory_arena_free (SeGpu *gpu, SePool *arena)
{
  if (arena == NULL)
    return;
  g_return_if_fail (gpu->memory->target != arena);
  free_blocks (gpu, arena);
  g_free (arena);
}

void
se_memory_use_pool (SeGpu *gpu, SePool *pool)
{
  gpu->memory->target = pool ? pool : &gpu->memory->main;
}

/* On a CPU device, device memory is process memory that the kernel fills
 * with zeroed pages as it is first written: 4 KiB page faults cost most of
 * a model's load time there (lavapipe, SD 1.5: 2 GiB of weights).  Asking
 * for transparent huge pages on the block makes that 512x fewer faults.  A
 * hint only: nothing changes where the kernel or driver says no. */
static void
advise_huge_pages (SeGpu *gpu, VkDeviceMemory memory, VkDeviceSize size)
{
#ifdef MADV_HUGEPAGE
  void *map = NULL;
  if (vkMapMemory (gpu->device, memory, 0, VK_WHOLE_SIZE, 0, &map) != VK_SUCCESS)
    return;
  guintptr page = 2u << 20, start = ((guintptr) map + page - 1) / page * page;
  guintptr end = ((guintptr) map + size) / page * page;
  if (end > start)
    madvise ((void *) start, end - start, MADV_HUGEPAGE);
  vkUnmapMemory (gpu->device, memory);
#endif
}

static gboolean
add_block (SeGpu *gpu, SePool *pool, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  if (m->block_count >= gpu->info.max_allocation_count / 2) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("Vulkan: %u memory blocks already allocated (device limit %u)"),
                 m->block_count, gpu->info.max_allocation_count);
    return FALSE;
  }
  Block b = { .size = size, .free = g_array_new (FALSE, FALSE, sizeof (Range)) };
  VkMemoryPropertyFlags flags;
  if (!create_buffer (gpu, size,
                      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                      VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                      VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, &b.buffer, &b.memory, &flags, error)) {
    g_array_unref (b.free);
    return FALSE;
  }
  if (gpu->info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && (flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
    advise_huge_pages (gpu, b.memory, size);
  Range all = { 0, size };
  g_array_append_val (b.free, all);
  g_array_append_val (pool->blocks, b);
  m->block_count++;
  m->block_bytes += size;
  return TRUE;
}

static gboolean
take_from (SePool *pool, guint index, VkDeviceSize size, SeAlloc *out)
{
  Block *b = &g_array_index (pool->blocks, Block, index);
  for (guint i = 0; i < b->free->len; i++) {
    Range *r = &g_array_index (b->free, Range, i);
    if (r->size < size)
      continue;
    *out = (SeAlloc) { .buffer = b->buffer, .offset = r->offset, .size = size, .block = index, .pool = pool };
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
  if (se_fault_alloc ()) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("Vulkan: allocating %llu bytes of device memory failed: out of device memory "
                   "(injected by SE_FAULT)"), (unsigned long long) size);
    return FALSE;
  }
  VkDeviceSize rounded = rounded_size (m, size);
  if (m->budget && m->in_use + rounded > m->budget) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("Vulkan: allocating %llu bytes of device memory failed: over the budget of %llu MiB "
                   "(SE_DEVICE_BUDGET_MIB)"), (unsigned long long) size, (unsigned long long) (m->budget >> 20));
    return FALSE;
  }
  SePool *pool = m->target;
  gboolean found = FALSE;
  for (guint i = 0; i < pool->blocks->len && !found; i++)
    found = take_from (pool, i, rounded, out);
  if (!found) {
    /* a whole block, or when the device cannot give that much, just this */
    GError *local = NULL;
    if (!add_block (gpu, pool, MAX (pool->block_size, rounded), &local)) {
      if (pool->block_size <= rounded || !g_error_matches (local, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY)) {
        g_propagate_error (error, local);
        return FALSE;
      }
      g_clear_error (&local);
      if (!add_block (gpu, pool, rounded, error))
        return FALSE;
    }
    found = take_from (pool, pool->blocks->len - 1, rounded, out);
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
  Block *b = &g_array_index (alloc->pool->blocks, Block, alloc->block);
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

/* Make earlier compute writes visible to copies, and copies to later
 * compute and host reads. */
static const VkMemoryBarrier before_copies = {
  .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
  .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
  .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
};
static const VkMemoryBarrier after_copies = {
  .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
  .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
  .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_READ_BIT,
};

/* Waits for a half's submitted copies and makes it empty. */
static gboolean
wait_half (SeGpu *gpu, Half *h, GError **error)
{
  if (h->in_flight) {
    h->in_flight = FALSE;
    /* copies a later compute submission's wait already covered are done */
    if (vkGetFenceStatus (gpu->device, h->fence) != VK_SUCCESS) {
      gpu->memory->staging_waits++;
      if (!se_gpu_check (gpu, vkWaitForFences (gpu->device, 1, &h->fence, VK_TRUE, UINT64_MAX),
                         "vkWaitForFences (staging)", error))
        return FALSE;
    }
  }
  h->used = 0;
  return TRUE;
}

/* Submits a half's recorded copies without waiting. */
static gboolean
submit_half (SeGpu *gpu, Half *h, GError **error)
{
  if (!h->recording)
    return TRUE;
  h->recording = FALSE;
  g_array_set_size (h->written, 0);
  vkCmdPipelineBarrier (h->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                        0, 1, &after_copies, 0, NULL, 0, NULL);
  VkSubmitInfo si = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &h->cmd,
  };
  if (!se_vk_check (vkEndCommandBuffer (h->cmd), "vkEndCommandBuffer (staging)", error) ||
      !se_vk_check (vkResetFences (gpu->device, 1, &h->fence), "vkResetFences (staging)", error) ||
      !se_gpu_submit (gpu, &si, h->fence, "vkQueueSubmit (uploads)", error))
    return FALSE;
  h->in_flight = TRUE;
  return TRUE;
}

gboolean
se_memory_submit_uploads (SeGpu *gpu, GError **error)
{
  SeMemory *m = gpu->memory;
  return submit_half (gpu, &m->half[m->current], error);
}

gboolean
se_memory_flush (SeGpu *gpu, GError **error)
{
  SeMemory *m = gpu->memory;
  return submit_half (gpu, &m->half[m->current], error) &&
         wait_half (gpu, &m->half[0], error) && wait_half (gpu, &m->half[1], error);
}

/* Starts recording into a half, with a barrier after earlier compute work. */
static gboolean
begin_half (Half *h, GError **error)
{
  VkCommandBufferBeginInfo bi = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  if (!se_vk_check (vkResetCommandBuffer (h->cmd, 0), "vkResetCommandBuffer (staging)", error) ||
      !se_vk_check (vkBeginCommandBuffer (h->cmd, &bi), "vkBeginCommandBuffer (staging)", error))
    return FALSE;
  vkCmdPipelineBarrier (h->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        0, 1, &before_copies, 0, NULL, 0, NULL);
  h->recording = TRUE;
  return TRUE;
}

/* Records a copy of n staged bytes to dst; a copy over a range an earlier
 * copy of the batch wrote waits for it. */
static void
record_copy (Half *h, VkBuffer staging, VkDeviceSize src_off, VkBuffer dst, VkDeviceSize dst_off,
             VkDeviceSize n)
{
  for (guint i = 0; i < h->written->len; i++) {
    const Written *w = &g_array_index (h->written, Written, i);
    if (w->buffer == dst && w->range.offset < dst_off + n && dst_off < w->range.offset + w->range.size) {
      VkMemoryBarrier waw = { .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT };
      vkCmdPipelineBarrier (h->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                            0, 1, &waw, 0, NULL, 0, NULL);
      g_array_set_size (h->written, 0);
      break;
    }
  }
  Written w = { dst, { dst_off, n } };
  g_array_append_val (h->written, w);
  VkBufferCopy region = { src_off, dst_off, n };
  vkCmdCopyBuffer (h->cmd, staging, dst, 1, &region);
}

/* Rows of `in` elements of `es` bytes each, written as rows of `out`
 * elements, zero-padded (in == out: a plain copy). */
typedef struct {
  const guint8 *src;
  guint es, in, out;
} Rows;

/* Padded rows element by element: per-row memcpy and memset calls cost more
 * than the copy itself at three elements a row. */
#define PAD_ROWS(type)                                                  \
  do {                                                                  \
    const type *s = (const type *) src;                                 \
    type *d = (type *) dst;                                             \
    for (VkDeviceSize i = 0; i < n_rows; i++, s += r->in, d += r->out)  \
      for (guint k = 0; k < r->out; k++)                                \
        d[k] = k < r->in ? s[k] : 0;                                    \
  } while (0)

static void
fill_rows (const Rows *r, guint8 *dst, VkDeviceSize first_row, VkDeviceSize n_rows)
{
  const guint8 *src = r->src + first_row * r->in * r->es;
  if (r->in == r->out)
    memcpy (dst, src, n_rows * r->in * r->es);
  else if (r->es == 2)
    PAD_ROWS (guint16);
  else if (r->es == 4)
    PAD_ROWS (guint32);
  else
    PAD_ROWS (guint8);
}

/* Queues the copy of rows into the range from offset, through the staging
 * halves: each batch takes whole rows. */
static gboolean
upload_rows (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset, const Rows *r, VkDeviceSize rows,
             GError **error)
{
  SeMemory *m = gpu->memory;
  VkDeviceSize row_bytes = (VkDeviceSize) r->out * r->es;
  g_return_val_if_fail (offset + rows * row_bytes <= alloc->size && row_bytes <= HALF_SIZE, FALSE);
  for (VkDeviceSize done = 0; done < rows;) {
    Half *h = &m->half[m->current];
    if (HALF_SIZE - h->used < row_bytes) {
      /* full: send it, continue in the other half once its copies are done */
      if (!submit_half (gpu, h, error))
        return FALSE;
      m->current ^= 1;
      h = &m->half[m->current];
      if (!wait_half (gpu, h, error))
        return FALSE;
    }
    if (!h->recording) {
      /* submitted without a wait (se_memory_submit_uploads): done first */
      if ((h->in_flight && !wait_half (gpu, h, error)) || !begin_half (h, error))
        return FALSE;
      m->upload_batches++;
    }
    VkDeviceSize n = MIN ((HALF_SIZE - h->used) / row_bytes, rows - done);
    VkDeviceSize src = m->current * HALF_SIZE + h->used;
    fill_rows (r, (guint8 *) m->staging_map + src, done, n);
    record_copy (h, m->staging, src, alloc->buffer, alloc->offset + offset + done * row_bytes, n * row_bytes);
    h->used = (h->used + n * row_bytes + 15) / 16 * 16;
    h->used = MIN (h->used, HALF_SIZE);
    done += n;
  }
  return TRUE;
}

gboolean
se_memory_upload (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                  const void *data, VkDeviceSize size, GError **error)
{
  Rows r = { data, 1, 1, 1 };
  return upload_rows (gpu, alloc, offset, &r, size, error);
}

gboolean
se_memory_upload_padded (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset, const void *data,
                         VkDeviceSize rows, guint elem_size, guint in_row, guint out_row, GError **error)
{
  g_return_val_if_fail (in_row <= out_row && (in_row == out_row || elem_size == 1 || elem_size == 2 ||
                                               elem_size == 4), FALSE);
  Rows r = { data, elem_size, in_row, out_row };
  return upload_rows (gpu, alloc, offset, &r, rows, error);
}

gboolean
se_memory_download (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                    void *data, VkDeviceSize size, GError **error)
{
  SeMemory *m = gpu->memory;
  g_return_val_if_fail (offset + size <= alloc->size, FALSE);
  if (!se_memory_flush (gpu, error))
    return FALSE;
  Half *h = &m->half[m->current];
  for (VkDeviceSize done = 0; done < size; done += HALF_SIZE) {
    VkDeviceSize n = MIN (HALF_SIZE, size - done);
    VkBufferCopy region = { alloc->offset + offset + done, m->current * HALF_SIZE, n };
    if (!begin_half (h, error))
      return FALSE;
    vkCmdCopyBuffer (h->cmd, alloc->buffer, m->staging, 1, &region);
    if (!submit_half (gpu, h, error) || !wait_half (gpu, h, error))
      return FALSE;
    memcpy ((char *) data + done, (const char *) m->staging_map + m->current * HALF_SIZE, n);
  }
  return TRUE;
}

/* The download goes through the half the uploads are not in: the uploads
 * may still be in flight when it is recorded (their copies run first). */
gboolean
se_memory_download_begin (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset, VkDeviceSize size,
                          VkCommandBuffer *cmd, GError **error)
{
  SeMemory *m = gpu->memory;
  g_return_val_if_fail (offset + size <= alloc->size && size <= SE_MEMORY_DOWNLOAD_MAX, FALSE);
  guint other = m->current ^ 1;
  Half *h = &m->half[other];
  if (!submit_half (gpu, h, error) || !wait_half (gpu, h, error) || !begin_half (h, error))
    return FALSE;
  VkBufferCopy region = { alloc->offset + offset, other * HALF_SIZE, size };
  vkCmdCopyBuffer (h->cmd, alloc->buffer, m->staging, 1, &region);
  static const VkMemoryBarrier to_host = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  vkCmdPipelineBarrier (h->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL,
                        0, NULL);
  h->recording = FALSE;
  *cmd = h->cmd;
  return se_vk_check (vkEndCommandBuffer (h->cmd), "vkEndCommandBuffer (download)", error);
}

void
se_memory_download_finish (SeGpu *gpu, void *data, VkDeviceSize size)
{
  SeMemory *m = gpu->memory;
  memcpy (data, (const char *) m->staging_map + (m->current ^ 1) * HALF_SIZE, size);
}

/* The heap our blocks come from: that of the first device-local type. */
static guint32
block_heap (const VkPhysicalDeviceMemoryProperties *mp)
{
  for (guint32 i = 0; i < mp->memoryTypeCount; i++)
    if (mp->memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
      return mp->memoryTypes[i].heapIndex;
  return mp->memoryTypeCount ? mp->memoryTypes[0].heapIndex : 0;
}

VkDeviceSize
se_memory_available (SeGpu *gpu, const char **source)
{
  SeMemory *m = gpu->memory;
  VkDeviceSize spare = m->block_bytes - m->in_use;   /* free inside our blocks */
  if (m->budget) {
    *source = "SE_DEVICE_BUDGET_MIB";
    return m->budget > m->in_use ? m->budget - m->in_use : 0;
  }
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
  };
  VkPhysicalDeviceMemoryProperties2 mp = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
    .pNext = gpu->info.memory_budget ? &budget : NULL,
  };
  vkGetPhysicalDeviceMemoryProperties2 (gpu->physical, &mp);
  guint32 heap = block_heap (&mp.memoryProperties);
  if (gpu->info.memory_budget) {
    *source = _("its memory budget");
    VkDeviceSize b = budget.heapBudget[heap], used = budget.heapUsage[heap];
    return spare + (b > used ? b - used : 0);
  }
  *source = _("its memory heap");
  VkDeviceSize size = mp.memoryProperties.memoryHeaps[heap].size;
  return spare + (size > m->block_bytes ? size - m->block_bytes : 0);
}

void
se_memory_set_budget (SeGpu *gpu, VkDeviceSize bytes)
{
  gpu->memory->budget = bytes;
}

guint64 se_memory_upload_batches (SeGpu *gpu) { return gpu->memory->upload_batches; }
guint64 se_memory_staging_waits (SeGpu *gpu) { return gpu->memory->staging_waits; }
VkDeviceSize se_memory_in_use (SeGpu *gpu) { return gpu->memory->in_use; }
VkDeviceSize se_memory_peak (SeGpu *gpu) { return gpu->memory->peak; }
void se_memory_reset_peak (SeGpu *gpu) { gpu->memory->peak = gpu->memory->in_use; }
guint se_memory_block_count (SeGpu *gpu) { return gpu->memory->block_count; }
