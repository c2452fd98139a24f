/* test_non_finite.c: a network whose output holds NaN or infinity ends the
 * run with an error naming the network (and the UNet's step), never with a
 * result.  Each case is a copy of the reference model with one bias set to
 * infinity or NaN: the text encoder's final LayerNorm, the UNet's output
 * convolution, the VAE encoder's and decoder's output convolutions.  After
 * each failure the engine still edits with the intact model.  With
 * SE_VAE_PRECISION=fp16 (a run of its own, meson.build) also a decoder
 * whose output overflows half precision but not full precision: it runs
 * again in fp32 and the edit succeeds. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "test-util.h"
#include "weights/safetensors.h"
#include "weights/safetensors_write.h"

static char *tmpdir;
static SeEngine *engine;

/* dst/net/file: src's tensors, `poisoned` filled with value. */
static void
write_poisoned (const char *src, const char *dst, const char *poisoned, float value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) in = se_safetensors_open (src, &error);
  g_assert_no_error (error);
  g_autoptr (SeSafetensorsWriter) w = se_safetensors_writer_new ();
  gboolean found = FALSE;
  for (guint i = 0; i < se_safetensors_count (in); i++) {
    const SeSafeTensor *t = se_safetensors_nth (in, i);
    if (strcmp (t->name, poisoned) == 0) {
      g_assert_cmpint (t->dtype, ==, SE_DTYPE_F32);
      g_autofree float *v = g_new (float, t->numel);
      for (gsize k = 0; k < t->numel; k++)
        v[k] = value;
      se_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, v);
      found = TRUE;
    } else {
      se_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, se_safetensors_data (in, t));
    }
  }
  g_assert_true (found);
  g_assert_true (se_safetensors_writer_save (w, dst, &error));
  g_assert_no_error (error);
}

static void
link_into (const char *dir, const char *from, const char *name)
{
  g_autofree char *target = g_build_filename (from, name, NULL);
  g_autofree char *link = g_build_filename (dir, name, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (link);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_make_symbolic_link (file, target, NULL, &error));
  g_assert_no_error (error);
}

/* A copy of the reference model (links, except the poisoned file). */
static char *
poisoned_model (const char *tag, const char *net, const char *file, const char *tensor, float value)
{
  g_autofree char *ref = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  char *dir = g_build_filename (tmpdir, tag, NULL);
  g_autofree char *net_dir = g_build_filename (dir, net, NULL);
  g_assert_cmpint (g_mkdir_with_parents (net_dir, 0755), ==, 0);
  const char *parts[] = { "model_index.json", "scheduler", "tokenizer", "unet", "vae", "text_encoder" };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (strcmp (parts[i], net) != 0)
      link_into (dir, ref, parts[i]);
  g_autofree char *ref_net = g_build_filename (ref, net, NULL);
  link_into (net_dir, ref_net, "config.json");
  g_autofree char *src = g_build_filename (ref_net, file, NULL);
  g_autofree char *dst = g_build_filename (net_dir, file, NULL);
  write_poisoned (src, dst, tensor, value);
  return dir;
}

static SeImage
test_image (void)
{
  SeImage img = { 128, 64, g_new (float, 3 * 128 * 64) };
  for (gsize i = 0; i < 3 * 128 * 64; i++)
    img.data[i] = (float) sin ((double) i * 0.01) * 0.8f;
  return img;
}

/* Runs a whole edit on model_dir; returns its error (NULL: it worked). */
static GError *
run_edit (const char *model_dir)
{
  GError *error = NULL;
  g_autoptr (SeModel) model = se_model_load (engine, model_dir, NULL, &error);
  g_assert_no_error (error);
  g_autofree float *data = NULL;
  SeImage img = test_image ();
  data = img.data;
  g_autoptr (SeSession) s = se_session_new (model, &img, &error);
  if (s == NULL)
    return error;
  g_autoptr (SeRecipe) r = se_test_snowy_recipe (3);
  SeImage out = { 0 };
  if (!se_session_invert (s, r, 1, 1, NULL, NULL, NULL, NULL, &error) ||
      !se_session_edit (s, r, &out, NULL, NULL, NULL, &error))
    return error;
  for (gsize i = 0; i < 3 * (gsize) out.width * out.height; i++)
    g_assert_true (isfinite (out.data[i]));
  g_free (out.data);
  return NULL;
}

typedef struct {
  const char *tag, *net, *file, *tensor;
  float value;
  const char *needle;           /* the message names the network (and step) */
} Case;

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *dir = poisoned_model (c->tag, c->net, c->file, c->tensor, c->value);
  g_autoptr (GError) error = run_edit (dir);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", c->tag, error->message);
  g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NON_FINITE);
  if (!strstr (error->message, c->needle))
    g_error ("\"%s\" should name \"%s\"", error->message, c->needle);
  /* the engine is still fine with an intact model */
  g_autofree char *ref = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) again = run_edit (ref);
  g_assert_no_error (again);
}

/* An input image holding NaN or infinity (float images can) is refused
 * before encoding, naming the pixel, not blamed on the VAE. */
static void
test_image_not_finite (void)
{
  g_autofree char *ref = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModel) model = se_model_load (engine, ref, NULL, &error);
  g_assert_no_error (error);
  const float bad[] = { NAN, INFINITY };
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++) {
    SeImage img = test_image ();
    img.data[128 * 64 + 5 * 128 + 7] = bad[k];              /* channel 1, x 7, y 5 */
    g_autoptr (SeSession) s = se_session_new (model, &img, &error);
    g_free (img.data);
    g_assert_null (s);
    g_assert_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "channel 1 at 7, 5 of the 128 x 64 working image"));
    g_clear_error (&error);
  }
}

/* decoder.conv_out's bias at 1e5, past fp16's largest value (65504) */
static void
test_vae_fp16_overflow (void)
{
  g_autofree char *dir = poisoned_model ("vae-fp16-overflow", "vae", "diffusion_pytorch_model.safetensors",
                                         "decoder.conv_out.bias", 1e5f);
  g_test_expect_message ("semantic-edit", G_LOG_LEVEL_MESSAGE,
                         "the VAE decoder overflowed in half precision: it runs in full precision from now on");
  g_autoptr (GError) error = run_edit (dir);
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
}

static const Case cases[] = {
  { "text-encoder", "text_encoder", "model.safetensors", "text_model.final_layer_norm.bias", INFINITY,
    "the text encoder (prompt" },
  { "unet", "unet", "diffusion_pytorch_model.safetensors", "conv_out.bias", INFINITY,
    "the UNet (inversion step 1 of 3" },
  { "vae-encoder", "vae", "diffusion_pytorch_model.safetensors", "encoder.conv_out.bias", NAN, "the VAE encoder" },
  { "vae-decoder", "vae", "diffusion_pytorch_model.safetensors", "decoder.conv_out.bias", NAN, "the VAE decoder" },
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("se-nonfinite-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *path = g_strdup_printf ("/non-finite/%s", cases[i].tag);
    g_test_add_data_func (path, &cases[i], test_case);
  }
  g_test_add_func ("/non-finite/input-image", test_image_not_finite);
  if (g_strcmp0 (g_getenv ("SE_VAE_PRECISION"), "fp16") == 0)
    g_test_add_func ("/non-finite/vae-fp16-overflow", test_vae_fp16_overflow);
  int r = g_test_run ();
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_engine_free (engine);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmpdir);
  return r;
}
