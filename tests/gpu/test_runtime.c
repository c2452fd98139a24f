/* test_runtime.c: the Vulkan runtime itself: device choice, sub-allocation,
 * one submission for many dispatches with barriers only where needed,
 * pipeline caching, timestamps, device limits. */
#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"

static void
test_device_choice_by_env (void)
{
  g_autoptr (GError) error = NULL;
  g_setenv ("SE_VULKAN_DEVICE", "no-such-device-xyz", TRUE);
  SeGpu *gpu = se_gpu_new (NULL, &error);
  g_assert_null (gpu);
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "no-such-device-xyz"));
  g_clear_error (&error);

  g_setenv ("SE_VULKAN_DEVICE", "0", TRUE);
  gpu = se_test_gpu ();
  char first[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  g_strlcpy (first, gpu->info.name, sizeof first);
  se_test_gpu_done (gpu);

  /* by part of the name, in another case */
  g_autofree char *part = g_ascii_strup (first, 4);
  g_setenv ("SE_VULKAN_DEVICE", part, TRUE);
  gpu = se_test_gpu ();
  g_assert_cmpstr (gpu->info.name, ==, first);
  se_test_gpu_done (gpu);
  g_unsetenv ("SE_VULKAN_DEVICE");

  g_autofree char *list = se_gpu_list_devices (&error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (list, first));
}

static void
test_features_reported (void)
{
  SeGpu *gpu = se_test_gpu ();
  const SeGpuInfo *i = &gpu->info;
  g_test_message ("%s: fp16 %d, 16-bit storage %d, subgroup %u, shared %u, coopmat %d, coopmat khr %d, "
                  "storage range %" G_GUINT64_FORMAT, i->name, i->shader_float16,
                  i->storage_16bit, i->subgroup_size, i->max_shared_memory, i->coopmat_nv, i->coopmat_khr,
                  (guint64) i->max_storage_buffer_range);
  g_assert_cmpuint (i->subgroup_size, >=, 1);
  g_assert_cmpuint (i->max_shared_memory, >=, 16384);
  g_assert_cmpuint (i->max_storage_buffer_range, >=, 1 << 27);
  se_test_gpu_done (gpu);
}

static void
test_suballocation (void)
{
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  g_autoptr (GError) error = NULL;
  for (int i = 0; i < 3000; i++) {
    SeTensor *t = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 1 + i % 97, 33);
    g_assert_no_error (error);
    g_ptr_array_add (tensors, t);
  }
  /* thousands of tensors, one block */
  g_assert_cmpuint (se_memory_block_count (gpu), ==, 1);
  /* distinct, aligned, non-overlapping ranges */
  for (guint i = 1; i < tensors->len; i++) {
    const SeAlloc *a = &((SeTensor *) tensors->pdata[i - 1])->alloc;
    const SeAlloc *b = &((SeTensor *) tensors->pdata[i])->alloc;
    g_assert_true (a->offset + a->size <= b->offset || b->offset + b->size <= a->offset);
    g_assert_cmpuint (b->offset % gpu->info.storage_offset_alignment, ==, 0);
  }
  VkDeviceSize peak = se_memory_peak (gpu);
  g_assert_cmpuint (peak, >=, se_memory_in_use (gpu));
  /* free every other one, then all: the space merges back */
  for (guint i = 0; i < tensors->len; i += 2)
    se_tensor_free (g_steal_pointer (&tensors->pdata[i]));
  g_ptr_array_set_size (tensors, 0);
  g_assert_cmpuint (se_memory_in_use (gpu), ==, 0);
  /* a tensor as large as most of a block fits again in the same block */
  SeTensor *big = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 120 << 20 >> 2);
  g_assert_no_error (error);
  g_assert_cmpuint (se_memory_block_count (gpu), ==, 1);
  se_tensor_free (big);

  /* data survives the round trip at an odd offset inside the block */
  float in[5] = { 1, -2, 3.5f, 1e-30f, 7 }, out[5];
  SeTensor *t1 = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 3);
  SeTensor *t2 = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 5);
  g_assert_true (se_tensor_upload (t2, in, &error));
  g_assert_true (se_tensor_download (t2, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (in, sizeof in, out, sizeof out);
  se_tensor_free (t1);
  se_tensor_free (t2);
  se_test_gpu_done (gpu);
}

/* Uploads are batched through the staging ring: many small uploads are one
 * submission, a stream larger than the ring spans both halves, a second
 * upload over the same range in one batch wins, and a dispatch sees them. */
static void
test_uploads_batched (void)
{
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  g_assert_true (se_memory_flush (gpu, &error));
  guint64 before = se_memory_upload_batches (gpu);
  for (guint i = 0; i < 200; i++) {
    float v[37];
    for (guint k = 0; k < 37; k++)
      v[k] = (float) (i * 100 + k);
    SeTensor *t = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 37);
    g_assert_true (se_tensor_upload (t, v, &error));
    g_ptr_array_add (tensors, t);
  }
  g_assert_cmpuint (se_memory_upload_batches (gpu) - before, ==, 1);
  /* rewritten in the same batch: the later bytes win */
  float again[37];
  for (guint k = 0; k < 37; k++)
    again[k] = -(float) k;
  g_assert_true (se_tensor_upload (tensors->pdata[5], again, &error));
  /* 40 MB: more than one half of the ring (32 MiB) */
  gsize big_n = 10 << 20;
  g_autofree float *big = g_new (float, big_n);
  for (gsize k = 0; k < big_n; k++)
    big[k] = (float) (k % 1000003);
  SeTensor *tb = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, (gint64) big_n);
  g_assert_true (se_tensor_upload (tb, big, &error));
  g_ptr_array_add (tensors, tb);
  g_assert_cmpuint (se_memory_upload_batches (gpu) - before, >=, 2);
  /* a dispatch after the uploads reads them */
  SeTensor *sum = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 37);
  g_assert_true (se_op_add (gpu, tensors->pdata[5], tensors->pdata[6], sum, &error));
  float got[37];
  g_assert_true (se_tensor_download (sum, got, &error));
  g_assert_no_error (error);
  for (guint k = 0; k < 37; k++)
    g_assert_cmpfloat (got[k], ==, 600.0f);
  se_tensor_free (sum);
  g_autofree float *back = g_new (float, big_n);
  g_assert_true (se_tensor_download (tb, back, &error));
  g_assert_cmpmem (big, big_n * sizeof (float), back, big_n * sizeof (float));
  for (guint i = 0; i < 200; i += 37) {
    float v[37];
    g_assert_true (se_tensor_download (tensors->pdata[i], v, &error));
    g_assert_cmpfloat (v[3], ==, i == 5 ? -3.0f : (float) (i * 100 + 3));
  }
  g_ptr_array_set_size (tensors, 0);
  se_test_gpu_done (gpu);
}

/* An arena freed while uploads into it are still queued (a run that failed
 * between queueing its inputs and submitting its work): the queued copies
 * run before its memory goes, so the next submission does not write into
 * freed memory (lavapipe did, in its queue thread: a crash under
 * AddressSanitizer, which this test runs under in the test command's
 * sanitizer step), and later uploads work. */
static void
test_arena_freed_with_queued_uploads (void)
{
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  g_assert_true (se_memory_flush (gpu, &error));
  SePool *arena = se_memory_arena_new (gpu);
  se_memory_use_pool (gpu, arena);
  SeTensor *lost = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 4096);
  se_memory_use_pool (gpu, NULL);
  g_assert_no_error (error);
  g_autofree float *v = g_new (float, 4096);
  for (guint k = 0; k < 4096; k++)
    v[k] = (float) k;
  g_assert_true (se_tensor_upload (lost, v, &error));
  se_tensor_free (lost);
  se_memory_arena_free (gpu, arena);
  g_autoptr (SeTensor) kept = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 4096);
  g_assert_true (se_tensor_upload (kept, v, &error));
  g_autofree float *back = g_new (float, 4096);
  g_assert_true (se_tensor_download (kept, back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (v, 4096 * sizeof (float), back, 4096 * sizeof (float));
  g_clear_pointer (&kept, se_tensor_free);
  se_test_gpu_done (gpu);
}

static void
test_binding_limit (void)
{
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  gint64 too_many = (gint64) (gpu->info.max_storage_buffer_range / sizeof (float)) + 1;
  SeTensor *t = se_tensor_new_typed (gpu, SE_DTYPE_F32, 1, &too_many, &error);
  g_assert_null (t);
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY);
  g_assert_nonnull (strstr (error->message, "storage-buffer range"));
  se_test_gpu_done (gpu);
}

static void
test_one_submit_many_dispatches (void)
{
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  float ones[64];
  for (int i = 0; i < 64; i++)
    ones[i] = 1.0f;
  SeTensor *acc = se_test_tensor_dims (gpu, ones, 64);
  SeTensor *one = se_test_tensor_dims (gpu, ones, 64);
  SeTensor *independent[10];
  for (int i = 0; i < 10; i++)
    independent[i] = se_test_tensor_dims (gpu, ones, 64);

  SeCmdStats before = se_cmd_stats (gpu);
  /* ten independent dispatches: no barrier between them */
  for (int i = 0; i < 10; i++)
    g_assert_true (se_op_scale (gpu, one, (float) i, independent[i], &error));
  SeCmdStats mid = se_cmd_stats (gpu);
  g_assert_cmpuint (mid.barriers - before.barriers, ==, 1);        /* the batch's opening one */
  /* a chain of 100 dependent adds, each reading the previous one's result */
  for (int i = 0; i < 100; i++)
    g_assert_true (se_op_add (gpu, acc, one, acc, &error));
  g_assert_no_error (error);
  SeCmdStats chain = se_cmd_stats (gpu);
  /* the first add touches nothing the scales wrote; each later one reads acc */
  g_assert_cmpuint (chain.barriers - mid.barriers, ==, 99);
  g_assert_cmpuint (chain.submits, ==, before.submits);            /* nothing submitted yet */
  g_autofree double *got = se_test_fetch (acc);
  SeCmdStats after = se_cmd_stats (gpu);
  g_assert_cmpuint (after.submits - before.submits, ==, 1);
  g_assert_cmpuint (after.dispatches - before.dispatches, ==, 110);
  for (int i = 0; i < 64; i++)
    g_assert_cmpfloat (got[i], ==, 101.0);
  for (int i = 0; i < 10; i++) {
    g_autofree double *v = se_test_fetch (independent[i]);
    g_assert_cmpfloat (v[5], ==, (double) i);
    se_tensor_free (independent[i]);
  }
  /* scale and add share one shader: one pipeline, compiled once */
  g_assert_cmpuint (se_pipelines_compiled (gpu), ==, 1);
  se_tensor_free (acc);
  se_tensor_free (one);
  se_test_gpu_done (gpu);
}

static void
test_timestamps (void)
{
  g_autoptr (GError) error = NULL;
  SeGpuOptions opts = { .profile = TRUE };
  SeGpu *gpu = se_gpu_new (&opts, &error);
  g_assert_no_error (error);
  if (gpu->info.timestamp_period_ns == 0)
    g_error ("the device has no timestamp queries on its compute queue");
  SeTensor *x = se_test_tensor_dims (gpu, NULL, 64, 64);
  SeTensor *w = se_test_tensor_dims (gpu, NULL, 64, 64);
  SeTensor *y = se_test_tensor_dims (gpu, NULL, 64, 64);
  g_assert_true (se_op_linear (gpu, x, w, NULL, y, &error));
  g_assert_true (se_op_silu (gpu, y, y, &error));
  g_assert_true (se_cmd_submit (gpu, &error));
  g_assert_no_error (error);
  g_autofree char *report = se_cmd_profile_report (gpu);
  g_test_message ("%s", report);
  g_assert_nonnull (strstr (report, "matmul"));
  g_assert_nonnull (strstr (report, "elementwise"));
  se_tensor_free (x);
  se_tensor_free (w);
  se_tensor_free (y);
  se_test_gpu_done (gpu);
}

/* The layer is live and its reports are counted: a zero-sized buffer is an
 * error the layer must catch. */
static void
test_validation_reports_are_counted (void)
{
  /* with the layer on in every build (the sanitizer build runs the others
   * without it) */
  g_autoptr (GError) error = NULL;
  SeGpuOptions opts = { .validation = TRUE };
  SeGpu *gpu = se_gpu_new (&opts, &error);
  g_assert_no_error (error);
  VkBufferCreateInfo bi = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = 0,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
  };
  VkBuffer buffer = VK_NULL_HANDLE;
  g_test_message ("one validation error is expected below");
  vkCreateBuffer (gpu->device, &bi, NULL, &buffer);
  g_assert_cmpint (gpu->validation_problems, >, 0);
  if (buffer)
    vkDestroyBuffer (gpu->device, buffer, NULL);
  gpu->validation_problems = 0;
  se_test_gpu_done (gpu);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *child = g_build_filename (path, name, NULL);
    remove_tree (child);
  }
  g_remove (path);
}

/* The pipeline cache outlives the device on disk (under this test's own
 * XDG_CACHE_HOME, main()): a device after one that compiled a pipeline
 * starts from it, and a damaged file is not used. */
static void
test_pipeline_cache_on_disk (void)
{
  g_autoptr (GError) error = NULL;
  SeGpu *gpu = se_test_gpu ();
  g_autofree char *key = se_gpu_driver_key (gpu);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "semantic-edit", "pipelines", key, NULL);
  g_autoptr (SeTensor) t = se_tensor_new_typed_dims (gpu, SE_DTYPE_F32, &error, 64);
  g_assert_true (t && se_op_scale (gpu, t, 2.0f, t, &error) && se_cmd_submit (gpu, &error));
  g_assert_no_error (error);
  g_clear_pointer (&t, se_tensor_free);
  se_test_gpu_done (gpu);
  g_autofree char *saved = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (path, &saved, &size, NULL));
  g_test_message ("%s: %zu bytes", path, size);

  gpu = se_test_gpu ();
  gsize initial = se_pipelines_initial_size (gpu);
  se_test_gpu_done (gpu);
  g_assert_cmpuint (initial, ==, size - 32);

  saved[size - 1] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, saved, (gssize) size, NULL));
  gpu = se_test_gpu ();
  g_assert_cmpuint (se_pipelines_initial_size (gpu), ==, 0);
  se_test_gpu_done (gpu);
}

int
main (int argc, char **argv)
{
  /* the pipeline cache goes to a folder of this run's own */
  g_autofree char *cache = g_dir_make_tmp ("se-runtime-cache-XXXXXX", NULL);
  g_assert_nonnull (cache);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gpu/pipeline-cache-on-disk", test_pipeline_cache_on_disk);
  g_test_add_func ("/gpu/device-choice-by-env", test_device_choice_by_env);
  g_test_add_func ("/gpu/features-reported", test_features_reported);
  g_test_add_func ("/gpu/validation-reports-are-counted", test_validation_reports_are_counted);
  g_test_add_func ("/gpu/suballocation", test_suballocation);
  g_test_add_func ("/gpu/binding-limit", test_binding_limit);
  g_test_add_func ("/gpu/uploads-batched", test_uploads_batched);
  g_test_add_func ("/gpu/arena-freed-with-queued-uploads", test_arena_freed_with_queued_uploads);
  g_test_add_func ("/gpu/one-submit-many-dispatches", test_one_submit_many_dispatches);
  g_test_add_func ("/gpu/timestamps", test_timestamps);
  int r = g_test_run ();
  remove_tree (cache);
  return r;
}
