/* fuzz_image.c: the command-line tool's safetensors image input on
 * arbitrary files: refused with an error, or an image whose size matches
 * its data. */
#include "fuzz-input.h"
#include "image-io.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_input_file (data, size, ".safetensors");
  g_autoptr (GError) error = NULL;
  SeImage img = { 0 };
  if (!se_image_load (path, &img, &error)) {
    g_assert_nonnull (error);
    return 0;
  }
  g_assert_true (img.width > 0 && img.height > 0);
  volatile float last = img.data[3 * (gsize) img.width * img.height - 1];
  (void) last;
  g_free (img.data);
  return 0;
}
