/* fuzz_model.c: model discovery on hostile inputs.  An input that starts
 * with '{' is one network's config.json in a copy of the reference
 * diffusers folder (the VAE's when it names AutoencoderKL, the text
 * encoder's when it names CLIPTextModel, else the UNet's), so the
 * reference's own config.json files are seeds as they are (run-fuzzer.sh
 * reads them in place); any other input is a single-file checkpoint (its
 * key set and shapes decide the family and configuration).  Discovery
 * either refuses with an error or describes a model whose every tensor
 * was checked. */
#include <gio/gio.h>
#include <string.h>

#include "fuzz-input.h"
#include "weights/model.h"

static char *folder;            /* the reference folder, linked, configs copied */

static void
link_to (const char *target, const char *link)
{
  g_autoptr (GFile) f = g_file_new_for_path (link);
  g_autoptr (GError) error = NULL;
  g_file_make_symbolic_link (f, target, NULL, &error);
  g_assert_no_error (error);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *ref = g_build_filename (fuzz_reference_dir (), "tiny-sd", NULL);
  folder = g_dir_make_tmp ("se-fuzz-model-XXXXXX", NULL);
  const char *top[] = { "model_index.json", "scheduler", "tokenizer" };
  for (guint i = 0; i < G_N_ELEMENTS (top); i++) {
    g_autofree char *target = g_build_filename (ref, top[i], NULL), *link = g_build_filename (folder, top[i], NULL);
    link_to (target, link);
  }
  const char *nets[][2] = { { "unet", "diffusion_pytorch_model.safetensors" },
                            { "vae", "diffusion_pytorch_model.safetensors" },
                            { "text_encoder", "model.safetensors" } };
  for (guint i = 0; i < G_N_ELEMENTS (nets); i++) {
    g_autofree char *dir = g_build_filename (folder, nets[i][0], NULL);
    g_mkdir_with_parents (dir, 0755);
    g_autofree char *target = g_build_filename (ref, nets[i][0], nets[i][1], NULL);
    g_autofree char *link = g_build_filename (dir, nets[i][1], NULL);
    link_to (target, link);
  }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModelFiles) m = NULL;
  if (data[0] != '{') {
    const char *path = fuzz_input_file (data, size, ".safetensors");
    g_autofree char *tokenizer = g_build_filename (folder, "tokenizer", NULL);
    m = se_model_files_open (path, tokenizer, &error);
  } else {
    g_autofree char *text = g_strndup ((const char *) data, size);
    guint target = strstr (text, "AutoencoderKL") ? 1 : strstr (text, "CLIPTextModel") ? 2 : 0;
    const char *nets[] = { "unet", "vae", "text_encoder" };
    for (guint i = 0; i < G_N_ELEMENTS (nets); i++) {
      g_autofree char *config = g_build_filename (folder, nets[i], "config.json", NULL);
      g_autofree char *ref = g_build_filename (fuzz_reference_dir (), "tiny-sd", nets[i], "config.json", NULL);
      g_autofree char *contents = NULL;
      gsize len;
      if (i == target)
        g_assert_true (g_file_set_contents (config, (const char *) data, (gssize) size, NULL));
      else if (g_file_get_contents (ref, &contents, &len, NULL))
        g_assert_true (g_file_set_contents (config, contents, (gssize) len, NULL));
    }
    m = se_model_files_open (folder, NULL, &error);
  }
  g_assert_true ((m == NULL) == (error != NULL));
  return 0;
}
