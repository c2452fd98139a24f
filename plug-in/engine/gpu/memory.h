/* memory.h: device memory in a few large blocks, sub-allocated.
 *
 * Each block is one VkDeviceMemory with one VkBuffer over all of it; a tensor
 * is a range (buffer, offset, size) of a block, aligned for storage-buffer
 * binding.  Requests larger than the block size get a block of their own.
 * Freed ranges merge with their neighbours; an empty block is kept for reuse.
 * Uploads and readbacks go through one host-visible staging buffer, uploads
 * batched through it as a ring of two halves. */
#pragma once

#include "device.h"

G_BEGIN_DECLS

typedef struct _SePool SePool;

typedef struct {
  VkBuffer buffer;
  VkDeviceSize offset;
  VkDeviceSize size;
  guint block;
  SePool *pool;
} SeAlloc;

gboolean  se_memory_init (SeGpu *gpu, GError **error);
void      se_memory_fini (SeGpu *gpu);

gboolean  se_memory_alloc (SeGpu *gpu, VkDeviceSize size, SeAlloc *out, GError **error);
/* n device-local 32-bit counters for a dispatch's workgroups to count
 * themselves with (the last to finish resets each to zero, as it was at
 * creation), from a ring handed out in turn; FALSE when n is too large.
 * Bind them for writing, so that two dispatches holding the same ones at
 * once are ordered by a barrier. */
gboolean  se_memory_counters (SeGpu *gpu, guint n, SeAlloc *range);
/* Whether every counter is back at zero (tests: after the work is done). */
gboolean  se_memory_counters_all_zero (SeGpu *gpu, gboolean *zero, GError **error);
/* Returns a range to the pool it came from. */
void      se_memory_release (SeGpu *gpu, const SeAlloc *alloc);

/* An arena: a pool of its own (blocks grown as needed, kept until freed).
 * After se_memory_use_pool (gpu, arena) allocations come from it, until
 * se_memory_use_pool (gpu, NULL) returns to the device's main pool. */
SePool   *se_memory_arena_new (SeGpu *gpu);
void      se_memory_arena_free (SeGpu *gpu, SePool *arena);
void      se_memory_use_pool (SeGpu *gpu, SePool *pool);

/* Queues a copy of bytes into a range of an allocation (the data is
 * copied at once; the device copy runs with the next batch, see memory.c).
 * Work recorded before that still reads the range must be submitted first. */
gboolean  se_memory_upload (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                            const void *data, VkDeviceSize size, GError **error);
/* The same for rows of in_row elements of elem_size bytes, each padded
 * with zeros to out_row elements on the way (into the staging memory, no
 * host copy). */
gboolean  se_memory_upload_padded (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset, const void *data,
                                   VkDeviceSize rows, guint elem_size, guint in_row, guint out_row,
                                   GError **error);
/* Runs the queued uploads and waits for them. */
gboolean  se_memory_flush (SeGpu *gpu, GError **error);
/* Submits the queued uploads without waiting: work submitted after them
 * (compute submissions) runs after them, and waiting for that work waits
 * for them too. */
gboolean  se_memory_submit_uploads (SeGpu *gpu, GError **error);
/* A download to run in the caller's submission after its work: a command
 * buffer copying the range (at most SE_MEMORY_DOWNLOAD_MAX bytes) into
 * staging memory, which se_memory_download_finish copies to data once the
 * submission has finished.  One submission and one wait for the work and
 * its result. */
#define SE_MEMORY_DOWNLOAD_MAX ((VkDeviceSize) 32 << 20)
gboolean  se_memory_download_begin (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset, VkDeviceSize size,
                                    VkCommandBuffer *cmd, GError **error);
void      se_memory_download_finish (SeGpu *gpu, void *data, VkDeviceSize size);
/* Copies a range to the host, after the queued uploads; waits. */
gboolean  se_memory_download (SeGpu *gpu, const SeAlloc *alloc, VkDeviceSize offset,
                              void *data, VkDeviceSize size, GError **error);
/* Upload batches submitted so far (tests: uploads are batched). */
guint64   se_memory_upload_batches (SeGpu *gpu);
/* Times the host blocked on staging copies (uploads flushed, downloads). */
guint64   se_memory_staging_waits (SeGpu *gpu);

/* Bytes that can still be handed out: the free space in our blocks plus
 * what the device's heap can still give this process (VK_EXT_memory_budget
 * where the driver has it, else the heap's size less our blocks).
 * SE_DEVICE_BUDGET_MIB sets an artificial total instead, which allocations
 * then also keep to (tests).  *source names where the figure came from,
 * for messages. */
VkDeviceSize se_memory_available (SeGpu *gpu, const char **source);
/* The artificial total in bytes (0: none), as SE_DEVICE_BUDGET_MIB sets it. */
void         se_memory_set_budget (SeGpu *gpu, VkDeviceSize bytes);

/* Bytes handed out now, the most handed out since the last reset, and the
 * number of vkAllocateMemory blocks. */
VkDeviceSize se_memory_in_use (SeGpu *gpu);
VkDeviceSize se_memory_peak (SeGpu *gpu);
void         se_memory_reset_peak (SeGpu *gpu);
guint        se_memory_block_count (SeGpu *gpu);

G_END_DECLS
