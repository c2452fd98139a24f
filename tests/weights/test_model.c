#define _DEFAULT_SOURCE /* symlink */
/* test_model.c: model loading refuses wrong files with messages that say what
 * was found: missing paths, SDXL / SD 2.x / inpainting / non-SD files,
 * .bin-only folders, a missing tokenizer, a missing tensor, a wrong shape,
 * config.json contradicting the weights, a truncated checkpoint.  Variants
 * are built from the reference model in a temporary folder. */
#include <glib/gstdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "nets/clip.h"
#include "nets/unet.h"
#include "nets/vae.h"
#include "test-util.h"
#include "weights/model.h"
#include "weights/safetensors_write.h"

static char *tmpdir;

static char *
ref_path (const char *a, const char *b)
{
  return g_build_filename (se_test_reference_dir (), a, b, NULL);
}

static char *
tokenizer_dir (void)
{
  return ref_path ("tiny-sd", "tokenizer");
}

/* Writes a copy of the fp16 single file without `drop`, with `reshape`
 * given the shape `shape` (zero data), and with an extra tensor `extra`. */
static char *
variant (const char *file, const char *drop, const char *reshape, const gint64 *shape, guint ndim,
         const char *extra)
{
  g_autofree char *src = ref_path ("tiny-sd-fp16.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (src, &error);
  g_assert_no_error (error);
  g_autoptr (SeSafetensorsWriter) w = se_safetensors_writer_new ();
  for (guint i = 0; i < se_safetensors_count (f); i++) {
    const SeSafeTensor *t = se_safetensors_nth (f, i);
    if (drop && strcmp (t->name, drop) == 0)
      continue;
    if (reshape && strcmp (t->name, reshape) == 0) {
      gsize n = 1;
      for (guint d = 0; d < ndim; d++)
        n *= (gsize) shape[d];
      g_autofree float *zeros = g_new0 (float, n);
      se_safetensors_writer_add_f32 (w, t->name, SE_DTYPE_F16, ndim, shape, zeros);
      continue;
    }
    se_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, se_safetensors_data (f, t));
  }
  if (extra) {
    float one = 1.0f;
    se_safetensors_writer_add_f32 (w, extra, SE_DTYPE_F32, 1, (gint64[]) { 1 }, &one);
  }
  char *path = g_build_filename (tmpdir, file, NULL);
  g_assert_true (se_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
  return path;
}

/* Opening fails with code and a message containing every needle. */
static void
expect_open_error (const char *path, const char *tokenizer, int code, const char *needle1,
                   const char *needle2)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModelFiles) m = se_model_files_open (path, tokenizer, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (error->domain == SE_MODEL_ERROR || error->domain == SE_WEIGHTS_ERROR);
  if (error->domain == SE_MODEL_ERROR)
    g_assert_cmpint (error->code, ==, code);
  if (!strstr (error->message, needle1) || (needle2 && !strstr (error->message, needle2)))
    g_error ("\"%s\" should mention \"%s\" and \"%s\"", error->message, needle1, needle2 ? needle2 : "");
}

static void
test_paths_and_families (void)
{
  g_autofree char *tok = tokenizer_dir ();
  g_autofree char *nowhere = g_build_filename (tmpdir, "no-such-model", NULL);
  expect_open_error (nowhere, NULL, SE_MODEL_ERROR_NOT_FOUND, "no-such-model", "no such model");

  g_autofree char *empty = g_build_filename (tmpdir, "empty-folder", NULL);
  g_mkdir (empty, 0755);
  expect_open_error (empty, NULL, SE_MODEL_ERROR_NOT_FOUND, "model_index.json", NULL);

  g_autofree char *xl = g_build_filename (tmpdir, "xl-folder", NULL);
  g_autofree char *xl2 = g_build_filename (xl, "text_encoder_2", NULL);
  g_mkdir_with_parents (xl2, 0755);
  expect_open_error (xl, NULL, SE_MODEL_ERROR_UNSUPPORTED, "SDXL", NULL);

  g_autofree char *bin = g_build_filename (tmpdir, "bin-folder", NULL);
  g_autofree char *binunet = g_build_filename (bin, "unet", NULL);
  g_mkdir_with_parents (binunet, 0755);
  g_autofree char *index = g_build_filename (bin, "model_index.json", NULL);
  g_autofree char *binfile = g_build_filename (binunet, "diffusion_pytorch_model.bin", NULL);
  g_assert_true (g_file_set_contents (index, "{}", -1, NULL));
  g_assert_true (g_file_set_contents (binfile, "pickle", -1, NULL));
  expect_open_error (bin, NULL, SE_MODEL_ERROR_UNSUPPORTED, ".bin", "safetensors");

  g_autofree char *sdxl = variant ("sdxl.safetensors", NULL, NULL, NULL, 0,
                                   "conditioner.embedders.0.transformer.x");
  expect_open_error (sdxl, tok, SE_MODEL_ERROR_UNSUPPORTED, "SDXL", "conditioner.embedders");
  g_autofree char *sd2 = variant ("sd2.safetensors", NULL, NULL, NULL, 0, "cond_stage_model.model.ln_final.weight");
  expect_open_error (sd2, tok, SE_MODEL_ERROR_UNSUPPORTED, "2.x", NULL);

  g_autofree char *golden = ref_path ("ledits_edit.safetensors", NULL);
  expect_open_error (golden, tok, SE_MODEL_ERROR_UNSUPPORTED, "not a Stable Diffusion checkpoint", NULL);

  g_autofree char *inpaint = variant ("inpaint.safetensors", NULL, "model.diffusion_model.input_blocks.0.0.weight",
                                      (gint64[]) { 32, 9, 3, 3 }, 4, NULL);
  expect_open_error (inpaint, tok, SE_MODEL_ERROR_UNSUPPORTED, "9 input channels", "inpainting");

  g_autofree char *linear = variant ("linear-proj.safetensors", NULL,
                                     "model.diffusion_model.input_blocks.1.1.proj_in.weight",
                                     (gint64[]) { 32, 32 }, 2, NULL);
  expect_open_error (linear, tok, SE_MODEL_ERROR_UNSUPPORTED, "2.x", NULL);

  /* no tokenizer next to a single file */
  g_autofree char *plain = variant ("plain.safetensors", NULL, NULL, NULL, 0, NULL);
  expect_open_error (plain, NULL, SE_MODEL_ERROR_NOT_FOUND, "tokenizer", NULL);

  /* a truncated checkpoint is refused by the safetensors layer, naming it */
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (plain, &contents, &len, NULL));
  g_autofree char *cut = g_build_filename (tmpdir, "truncated.safetensors", NULL);
  g_assert_true (g_file_set_contents (cut, contents, (gssize) (len / 2), NULL));
  expect_open_error (cut, tok, 0, "truncated.safetensors", "outside");
}

/* The model opens, but loading a network finds the problem. */
static void
expect_load_error (const char *path, SeNet net, const char *needle1, const char *needle2)
{
  g_autofree char *tok = tokenizer_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModelFiles) m = se_model_files_open (path, tok, &error);
  g_assert_no_error (error);
  SeGpu *gpu = se_test_gpu ();
  gboolean ok;
  switch (net) {
  case SE_NET_UNET: { SeUNet *u = se_unet_load (gpu, m, SE_DTYPE_F32, &error); ok = u != NULL; se_unet_free (u); break; }
  case SE_NET_VAE: { SeVae *v = se_vae_load (gpu, m, SE_DTYPE_F32, &error); ok = v != NULL; se_vae_free (v); break; }
  default: { SeClip *c = se_clip_load (gpu, m, SE_DTYPE_F32, &error); ok = c != NULL; se_clip_free (c); break; }
  }
  g_assert_false (ok);
  g_assert_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR);
  g_test_message ("%s", error->message);
  if (!strstr (error->message, needle1) || !strstr (error->message, needle2))
    g_error ("\"%s\" should mention \"%s\" and \"%s\"", error->message, needle1, needle2);
  se_test_gpu_done (gpu);
}

static void
test_missing_tensor_and_wrong_shape (void)
{
  g_autofree char *missing = variant ("missing.safetensors",
                                      "model.diffusion_model.output_blocks.5.1.proj_out.weight",
                                      NULL, NULL, 0, NULL);
  expect_load_error (missing, SE_NET_UNET, "up_blocks.1.attentions.2.proj_out.weight", "no tensor");
  g_autofree char *shape = variant ("shape.safetensors", NULL,
                                    "first_stage_model.decoder.up.1.block.0.conv2.weight",
                                    (gint64[]) { 32, 32, 1, 1 }, 4, NULL);
  expect_load_error (shape, SE_NET_VAE, "[32, 32, 1, 1], expected [32, 32, 3, 3]", "decoder.up.1.block.0.conv2");
  /* a block's first convolution, whose width the block's size is read from,
   * is blamed itself, not the bias the wrong width would then not fit */
  g_autofree char *narrow = variant ("narrow.safetensors", NULL, "model.diffusion_model.input_blocks.4.0.in_layers.2.weight",
                                     (gint64[]) { 32, 32, 3, 3 }, 4, NULL);
  expect_load_error (narrow, SE_NET_UNET, "input_blocks.4.0.in_layers.2.weight\" has shape [32, 32, 3, 3]",
                     "expected [64, 32, 3, 3]");
  g_autofree char *narrow_vae = variant ("narrow-vae.safetensors", NULL,
                                         "first_stage_model.encoder.down.2.block.0.conv1.weight",
                                         (gint64[]) { 32, 32, 3, 3 }, 4, NULL);
  expect_load_error (narrow_vae, SE_NET_VAE, "encoder.down.2.block.0.conv1.weight\" has shape [32, 32, 3, 3]",
                     "expected [64, 32, 3, 3]");
  g_autofree char *clip = variant ("clip.safetensors",
                                   "cond_stage_model.transformer.text_model.final_layer_norm.bias",
                                   NULL, NULL, 0, NULL);
  expect_load_error (clip, SE_NET_CLIP, "final_layer_norm.bias", "text_encoder");
  /* a position embedding of 1 row (the 77 ids would read past it) and of 0 */
  g_autofree char *tok = tokenizer_dir ();
  const gint64 rows[] = { 1, 0 };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autofree char *name = g_strdup_printf ("positions-%u.safetensors", i);
    g_autofree char *few = variant (name, NULL,
                                    "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight",
                                    (gint64[]) { rows[i], 32 }, 2, NULL);
    expect_open_error (few, tok, SE_MODEL_ERROR_TENSOR, "the text encoder has", "77 positions");
  }
}

/* A folder whose unet/config.json disagrees with its weights. */
static void
test_folder_config_mismatch (void)
{
  g_autofree char *dir = g_build_filename (tmpdir, "mismatch", NULL);
  g_autofree char *unet = g_build_filename (dir, "unet", NULL);
  g_mkdir_with_parents (unet, 0755);
  const char *links[] = { "model_index.json", "vae", "text_encoder", "tokenizer", "scheduler" };
  for (guint i = 0; i < G_N_ELEMENTS (links); i++) {
    g_autofree char *target = ref_path ("tiny-sd", links[i]);
    g_autofree char *link = g_build_filename (dir, links[i], NULL);
    g_assert_cmpint (symlink (target, link), ==, 0);
  }
  g_autofree char *wt = g_build_filename (se_test_reference_dir (), "tiny-sd", "unet",
                                          "diffusion_pytorch_model.safetensors", NULL);
  g_autofree char *wl = g_build_filename (unet, "diffusion_pytorch_model.fp16.safetensors", NULL);
  g_assert_cmpint (symlink (wt, wl), ==, 0);          /* the fp16 variant name is found too */
  g_autofree char *cfg = g_build_filename (se_test_reference_dir (), "tiny-sd", "unet", "config.json", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (cfg, &text, NULL, NULL));
  g_autofree char *cfg_copy = g_build_filename (unet, "config.json", NULL);
  g_assert_true (g_file_set_contents (cfg_copy, text, -1, NULL));
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModelFiles) ok = se_model_files_open (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ok->unet.context_dim, ==, 32);

  GString *bad = g_string_new (text);
  g_assert_cmpint (g_string_replace (bad, "\"cross_attention_dim\": 32", "\"cross_attention_dim\": 768", 1), ==, 1);
  g_assert_true (g_file_set_contents (cfg_copy, bad->str, -1, NULL));
  g_string_free (bad, TRUE);
  expect_open_error (dir, NULL, SE_MODEL_ERROR_CONFIG, "cross_attention_dim = 768", "weights have 32");

  /* nested past json-glib's stack: refused, naming the file */
  g_autofree char *deep = se_test_nested_json ("{\"block_out_channels\": ", 100000, "}");
  g_assert_true (g_file_set_contents (cfg_copy, deep, -1, NULL));
  expect_open_error (dir, NULL, SE_MODEL_ERROR_CONFIG, "config.json", "nested more than 64 levels");
}

/* A copy of the reference folder with one network's config.json edited:
 * `from` (text in it) replaced by `to`. */
static char *
folder_with_config (const char *tag, const char *net, const char *from, const char *to)
{
  char *dir = g_build_filename (tmpdir, tag, NULL);
  g_autofree char *netdir = g_build_filename (dir, net, NULL);
  g_assert_cmpint (g_mkdir_with_parents (netdir, 0755), ==, 0);
  const char *parts[] = { "model_index.json", "unet", "vae", "text_encoder", "tokenizer", "scheduler" };
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
    if (strcmp (parts[i], net) == 0)
      continue;
    g_autofree char *target = ref_path ("tiny-sd", parts[i]);
    g_autofree char *link = g_build_filename (dir, parts[i], NULL);
    g_assert_cmpint (symlink (target, link), ==, 0);
  }
  g_autofree char *src_dir = ref_path ("tiny-sd", net);
  g_autoptr (GDir) d = g_dir_open (src_dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d))) {
    g_autofree char *target = g_build_filename (src_dir, name, NULL);
    g_autofree char *link = g_build_filename (netdir, name, NULL);
    if (strcmp (name, "config.json") != 0) {
      g_assert_cmpint (symlink (target, link), ==, 0);
      continue;
    }
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (target, &text, NULL, NULL));
    GString *edited = g_string_new (text);
    g_assert_cmpint (g_string_replace (edited, from, to, 1), ==, 1);
    g_assert_true (g_file_set_contents (link, edited->str, -1, NULL));
    g_string_free (edited, TRUE);
  }
  return dir;
}

/* Configuration values the networks cannot run with are refused at load,
 * naming the file and the key (they once failed mid-edit as operator
 * errors: "group_norm: 32 channels do not split into 0 groups"). */
static void
test_bad_config_values (void)
{
  const struct {
    const char *net, *from, *to, *needle;
  } cases[] = {
    { "unet", "\"norm_num_groups\": 32", "\"norm_num_groups\": 0", "\"norm_num_groups\" is 0" },
    { "unet", "\"norm_num_groups\": 32", "\"norm_num_groups\": 24", "does not divide the 32 channels of block 0" },
    { "unet", "\"attention_head_dim\": 8", "\"attention_head_dim\": -3", "\"attention_head_dim\" is -3" },
    { "unet", "\"norm_eps\": 1e-05", "\"norm_eps\": -1", "\"norm_eps\" must be a number" },
    { "unet", "\"flip_sin_to_cos\": true", "\"flip_sin_to_cos\": \"yes\"", "\"flip_sin_to_cos\" is not true or false" },
    { "unet", "\"addition_embed_type\": null", "\"addition_embed_type\": 7", "\"addition_embed_type\" is not a string" },
    { "vae", "\"scaling_factor\": 0.18215", "\"scaling_factor\": 0", "\"scaling_factor\" must be a number" },
    { "vae", "\"norm_num_groups\": 32", "\"norm_num_groups\": 5", "does not divide" },
    { "text_encoder", "\"num_attention_heads\": 4", "\"num_attention_heads\": 3", "does not divide the 32" },
    { "text_encoder", "\"hidden_act\": \"quick_gelu\"", "\"hidden_act\": [1]", "\"hidden_act\" is not a string" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *tag = g_strdup_printf ("bad-config-%u", i);
    g_autofree char *dir = folder_with_config (tag, cases[i].net, cases[i].from, cases[i].to);
    g_autofree char *file = g_build_filename (cases[i].net, "config.json", NULL);
    expect_open_error (dir, NULL, SE_MODEL_ERROR_CONFIG, file, cases[i].needle);
  }
}

/* Both layouts describe the reference model identically. */
static void
test_layouts_agree (void)
{
  g_autofree char *folder = ref_path ("tiny-sd", NULL);
  g_autofree char *single = ref_path ("tiny-sd-fp16.safetensors", NULL);
  g_autofree char *tok = tokenizer_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModelFiles) a = se_model_files_open (folder, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (SeModelFiles) b = se_model_files_open (single, tok, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (&a->unet, sizeof a->unet, &b->unet, sizeof b->unet);
  g_assert_cmpmem (&a->vae, sizeof a->vae, &b->vae, sizeof b->vae);
  g_assert_cmpmem (&a->clip, sizeof a->clip, &b->clip, sizeof b->clip);
  g_assert_cmpuint (a->unet.n_blocks, ==, 4);
  g_assert_cmpuint (a->unet.layers, ==, 2);
  g_assert_cmpuint (a->unet.heads, ==, 8);
  g_assert_true (a->unet.down_attn[0] && !a->unet.down_attn[3]);
  g_assert_true (!a->unet.up_attn[0] && a->unet.up_attn[3]);
  g_assert_cmpuint (a->clip.heads, ==, 4);
  g_assert_cmpuint (a->clip.intermediate, ==, 37);
  /* every tensor the single file maps to has its folder counterpart */
  for (SeNet net = 0; net < SE_NET_COUNT; net++) {
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init (&it, b->names[net]);
    guint count = 0;
    while (g_hash_table_iter_next (&it, &key, NULL)) {
      if (se_model_files_find (a, net, key) == NULL)
        g_error ("single-file tensor maps to \"%s\", which the folder lacks", (const char *) key);
      count++;
    }
    g_assert_cmpuint (count, ==, g_hash_table_size (a->names[net]));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("se-model-XXXXXX", NULL);
  g_test_add_func ("/model/paths-and-families", test_paths_and_families);
  g_test_add_func ("/model/missing-tensor-and-wrong-shape", test_missing_tensor_and_wrong_shape);
  g_test_add_func ("/model/folder-config-mismatch", test_folder_config_mismatch);
  g_test_add_func ("/model/layouts-agree", test_layouts_agree);
  g_test_add_func ("/model/bad-config-values", test_bad_config_values);
  int r = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmpdir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmpdir);
  g_free (tmpdir);
  return r;
}
