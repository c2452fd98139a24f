/* pipeline-disk.c: the pipeline cache kept on disk between runs
 * (pipeline.h).  The file is the SHA-256 of the driver's cache data, then
 * the data: a truncated or damaged file is never handed to the driver.
 * The driver checks the data's own header (vendor, device, cache UUID). */
#include "pipeline.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define DIGEST 32

static char *
cache_path (const SeGpu *gpu)
{
  g_autofree char *key = se_gpu_driver_key (gpu);
  return g_build_filename (g_get_user_cache_dir (), "semantic-edit", "pipelines", key, NULL);
}

static void
digest (const void *data, gsize size, guint8 out[DIGEST])
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, data, size);
  gsize len = DIGEST;
  g_checksum_get_digest (sum, out, &len);
}

GBytes *
se_pipelines_disk_load (const SeGpu *gpu)
{
  g_autofree char *path = cache_path (gpu);
  g_autofree char *contents = NULL;
  gsize size = 0;
  if (!g_file_get_contents (path, &contents, &size, NULL) || size <= DIGEST)
    return NULL;
  guint8 want[DIGEST];
  digest (contents + DIGEST, size - DIGEST, want);
  if (memcmp (want, contents, DIGEST) != 0) {
    g_debug ("%s: checksum mismatch, not used", path);
    return NULL;
  }
  return g_bytes_new (contents + DIGEST, size - DIGEST);
}

void
se_pipelines_disk_save (SeGpu *gpu)
{
  g_autoptr (GBytes) data = se_pipelines_cache_data (gpu);
  gsize size = 0;
  const guint8 *bytes = data ? g_bytes_get_data (data, &size) : NULL;
  if (bytes == NULL || size == se_pipelines_initial_size (gpu))
    return;
  g_autofree char *path = cache_path (gpu);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree guint8 *file = g_try_malloc (DIGEST + size);
  if (file == NULL)
    return;
  digest (bytes, size, file);
  memcpy (file + DIGEST, bytes, size);
  g_autoptr (GError) error = NULL;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("the pipeline cache was not saved in %s: %s", dir, g_strerror (errno));
  else if (!g_file_set_contents (path, (const char *) file, (gssize) (DIGEST + size), &error))
    g_debug ("the pipeline cache was not saved: %s", error->message);
}
