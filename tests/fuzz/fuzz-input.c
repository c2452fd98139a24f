/* fuzz-input.c: the harnesses' input files (fuzz-input.h). */
#include "fuzz-input.h"

#include <glib/gstdio.h>

const char *
fuzz_input_file (const uint8_t *data, size_t size, const char *suffix)
{
  static char *dir;
  static GHashTable *paths;
  if (dir == NULL) {
    dir = g_dir_make_tmp ("se-fuzz-XXXXXX", NULL);
    paths = g_hash_table_new (g_str_hash, g_str_equal);
  }
  char *path = g_hash_table_lookup (paths, suffix);
  if (path == NULL) {
    path = g_strconcat (dir, "/input", suffix, NULL);
    g_hash_table_insert (paths, g_strdup (suffix), path);
  }
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, NULL))
    g_error ("cannot write %s", path);
  return path;
}

const char *
fuzz_reference_dir (void)
{
  const char *dir = g_getenv ("SE_REFERENCE_DIR");
  if (dir == NULL)
    g_error ("set SE_REFERENCE_DIR to the reference data");
  return dir;
}
