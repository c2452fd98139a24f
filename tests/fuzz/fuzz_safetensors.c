/* fuzz_safetensors.c: the safetensors reader on arbitrary files (header,
 * offsets, dtypes, shapes): it either refuses with an error or every tensor
 * it lists can be read in full. */
#include "fuzz-input.h"
#include "weights/safetensors.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_input_file (data, size, ".safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  if (f == NULL) {
    g_assert_nonnull (error);
    return 0;
  }
  se_safetensors_metadata (f, "format");
  for (guint i = 0; i < se_safetensors_count (f); i++) {
    const SeSafeTensor *t = se_safetensors_nth (f, i);
    g_assert_true (se_safetensors_find (f, t->name) == t);
    if (t->numel > (16u << 20))
      continue;         /* a large all-zero tensor reads the same way, only slower */
    g_autofree float *v = g_new (float, MAX (t->numel, 1));
    se_safetensors_read_f32 (f, t, v);
    if (!se_dtype_is_float (t->dtype)) {
      g_autofree gint64 *iv = g_new (gint64, MAX (t->numel, 1));
      g_autoptr (GError) ierr = NULL;
      se_safetensors_read_i64 (f, t, iv, &ierr);
    }
  }
  return 0;
}
