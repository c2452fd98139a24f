/* model.c: finding, checking and describing Stable Diffusion 1.x model files. */
#include "model.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "json-read.h"

G_DEFINE_QUARK (se-model-error-quark, se_model_error)

static const char *net_names[SE_NET_COUNT] = { "unet", "vae", "text_encoder" };

static void
add_ref (SeModelFiles *m, SeNet net, char *name, const SeSafetensors *file, const SeSafeTensor *t)
{
  SeWeightRef *ref = g_new (SeWeightRef, 1);
  *ref = (SeWeightRef) { file, t };
  g_hash_table_replace (m->names[net], name, ref);
}

const SeWeightRef *
se_model_files_find (const SeModelFiles *m, SeNet net, const char *name)
{
  return g_hash_table_lookup (m->names[net], name);
}

static const SeSafeTensor *
find_tensor (const SeModelFiles *m, SeNet net, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static const SeSafeTensor *
find_tensor (const SeModelFiles *m, SeNet net, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  const SeWeightRef *r = se_model_files_find (m, net, name);
  return r ? r->tensor : NULL;
}

/* ---- configuration from tensor shapes (both layouts; SD 1.x conventions) ---- */

static gboolean
missing (const SeModelFiles *m, SeNet net, const char *what, GError **error)
{
  g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
               _("%s: the %s has no %s: not a Stable Diffusion 1.x model"), m->path,
               net_names[net], what);
  return FALSE;
}

/* A resnet's output width, from the three tensors that carry it: conv1's
 * weight and bias and norm2's weight.  Taken from two that agree, so that
 * one corrupted tensor fails the load under its own name, not its
 * neighbour's; 0 without conv1.weight (no such block). */
static guint
resnet_width (const SeModelFiles *m, SeNet net, const char *prefix)
{
  const SeSafeTensor *w = find_tensor (m, net, "%sconv1.weight", prefix);
  if (w == NULL)
    return 0;
  const SeSafeTensor *b = find_tensor (m, net, "%sconv1.bias", prefix);
  const SeSafeTensor *n = find_tensor (m, net, "%snorm2.weight", prefix);
  gint64 from_w = w->ndim ? w->shape[0] : 0;
  gint64 from_b = b && b->ndim == 1 ? b->shape[0] : -1;
  gint64 from_n = n && n->ndim == 1 ? n->shape[0] : -2;
  gint64 width = from_b == from_n && from_w != from_b ? from_b : from_w;
  return (guint) CLAMP (width, 1, G_MAXUINT);
}

static gboolean
derive_unet (SeModelFiles *m, GError **error)
{
  SeUNetConfig *c = &m->unet;
  const SeSafeTensor *t = find_tensor (m, SE_NET_UNET, "conv_in.weight");
  const SeSafeTensor *o = find_tensor (m, SE_NET_UNET, "conv_out.weight");
  const SeSafeTensor *te = find_tensor (m, SE_NET_UNET, "time_embedding.linear_1.weight");
  if (t == NULL || t->ndim != 4 || o == NULL || o->ndim != 4 || te == NULL || te->ndim != 2)
    return missing (m, SE_NET_UNET, "conv_in, conv_out or time embedding", error);
  c->in_channels = (guint) t->shape[1];
  c->out_channels = (guint) o->shape[0];
  c->time_embed_dim = (guint) te->shape[0];
  for (guint width; c->n_blocks < SE_MAX_BLOCKS; c->n_blocks++) {
    g_autofree char *prefix = g_strdup_printf ("down_blocks.%u.resnets.0.", c->n_blocks);
    if (!(width = resnet_width (m, SE_NET_UNET, prefix)))
      break;
    c->block_out[c->n_blocks] = width;
    c->down_attn[c->n_blocks] = find_tensor (m, SE_NET_UNET, "down_blocks.%u.attentions.0.proj_in.weight", c->n_blocks) != NULL;
    c->up_attn[c->n_blocks] = find_tensor (m, SE_NET_UNET, "up_blocks.%u.attentions.0.proj_in.weight", c->n_blocks) != NULL;
  }
  while (find_tensor (m, SE_NET_UNET, "down_blocks.0.resnets.%u.conv1.weight", c->layers))
    c->layers++;
  if (c->n_blocks == 0 || c->layers == 0)
    return missing (m, SE_NET_UNET, "down blocks", error);
  for (guint b = 0; b < c->n_blocks; b++)
    if (c->down_attn[b]) {
      t = find_tensor (m, SE_NET_UNET, "down_blocks.%u.attentions.0.transformer_blocks.0.attn2.to_k.weight", b);
      const SeSafeTensor *proj = find_tensor (m, SE_NET_UNET, "down_blocks.%u.attentions.0.proj_in.weight", b);
      if (t == NULL || t->ndim != 2 || proj == NULL)
        return missing (m, SE_NET_UNET, "cross-attention weights", error);
      if (proj->ndim == 2 || t->shape[1] == 1024) {
        g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                     _("%s: this is a Stable Diffusion 2.x model (linear attention projections, "
                       "context width %lld); only SD 1.x is supported"), m->path, (long long) t->shape[1]);
        return FALSE;
      }
      c->context_dim = (guint) t->shape[1];
      break;
    }
  if (c->context_dim == 0)
    return missing (m, SE_NET_UNET, "cross-attention block", error);
  c->heads = 8;
  c->groups = 32;
  c->eps = 1e-5f;
  c->flip_sin_to_cos = TRUE;
  c->freq_shift = 0.0f;
  if (c->in_channels != 4 || c->out_channels != 4) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: the UNet takes %u input channels (4 expected): inpainting and other "
                   "special-purpose models are not supported"), m->path, c->in_channels);
    return FALSE;
  }
  return TRUE;
}

static gboolean
derive_vae (SeModelFiles *m, GError **error)
{
  SeVaeConfig *c = &m->vae;
  const SeSafeTensor *in = find_tensor (m, SE_NET_VAE, "encoder.conv_in.weight");
  const SeSafeTensor *out = find_tensor (m, SE_NET_VAE, "decoder.conv_out.weight");
  const SeSafeTensor *lat = find_tensor (m, SE_NET_VAE, "decoder.conv_in.weight");
  if (in == NULL || out == NULL || lat == NULL || in->ndim != 4 || out->ndim != 4 || lat->ndim != 4)
    return missing (m, SE_NET_VAE, "encoder/decoder convolutions", error);
  c->in_channels = (guint) in->shape[1];
  c->out_channels = (guint) out->shape[0];
  c->latent_channels = (guint) lat->shape[1];
  for (guint width; c->n_blocks < SE_MAX_BLOCKS; c->n_blocks++) {
    g_autofree char *prefix = g_strdup_printf ("encoder.down_blocks.%u.resnets.0.", c->n_blocks);
    if (!(width = resnet_width (m, SE_NET_VAE, prefix)))
      break;
    c->block_out[c->n_blocks] = width;
  }
  while (find_tensor (m, SE_NET_VAE, "encoder.down_blocks.0.resnets.%u.conv1.weight", c->layers))
    c->layers++;
  if (c->n_blocks == 0 || c->layers == 0)
    return missing (m, SE_NET_VAE, "encoder blocks", error);
  c->groups = 32;
  c->scaling = 0.18215f;
  return TRUE;
}

static gboolean
derive_clip (SeModelFiles *m, GError **error)
{
  SeClipConfig *c = &m->clip;
  const SeSafeTensor *tok = find_tensor (m, SE_NET_CLIP, "text_model.embeddings.token_embedding.weight");
  const SeSafeTensor *pos = find_tensor (m, SE_NET_CLIP, "text_model.embeddings.position_embedding.weight");
  const SeSafeTensor *fc1 = find_tensor (m, SE_NET_CLIP, "text_model.encoder.layers.0.mlp.fc1.weight");
  if (tok == NULL || pos == NULL || fc1 == NULL || tok->ndim != 2 || pos->ndim != 2 || fc1->ndim != 2)
    return missing (m, SE_NET_CLIP, "embeddings or layers", error);
  /* CLIP's tokenizer makes 77 ids from a vocabulary of 49408: an encoder
   * with other sizes would read embeddings it does not have */
  if (pos->shape[0] != SE_CLIP_POSITIONS || tok->shape[0] < SE_CLIP_VOCAB || pos->shape[1] != tok->shape[1]) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                 _("%s: the text encoder has %lld positions and %lld tokens of width %lld (positions of width "
                   "%lld); SD 1.x's has %d positions and %d tokens of one width: not a Stable Diffusion 1.x "
                   "model"), m->path, (long long) pos->shape[0], (long long) tok->shape[0],
                 (long long) tok->shape[1], (long long) pos->shape[1], SE_CLIP_POSITIONS, SE_CLIP_VOCAB);
    return FALSE;
  }
  c->vocab = (guint) tok->shape[0];
  c->hidden = (guint) tok->shape[1];
  c->positions = (guint) pos->shape[0];
  c->intermediate = (guint) fc1->shape[0];
  while (find_tensor (m, SE_NET_CLIP, "text_model.encoder.layers.%u.mlp.fc1.weight", c->layers))
    c->layers++;
  /* SD 1.x's CLIP ViT-L/14 has 64-wide heads; test-sized encoders (under 512
   * wide) use 8-wide heads, as the reference model does */
  c->heads = c->hidden >= 512 ? c->hidden / 64 : MAX (c->hidden / 8, 1);
  c->eps = 1e-5f;
  c->quick_gelu = TRUE;
  return TRUE;
}

/* ---- diffusers folder ---- */

static JsonObject *
read_config (const char *path, JsonParser *parser, GError **error)
{
  g_autoptr (GError) err = NULL;
  if (!se_json_load_file (parser, path, &err)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG, _("%s: cannot read: %s"), path, err->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG, _("%s: not a JSON object"), path);
    return NULL;
  }
  return json_node_get_object (root);
}

/* Member key into *out, NULL when absent or null; FALSE, naming the key and
 * `kind` (what it should be), when it holds a value of another type. */
static gboolean
config_member (JsonObject *o, const char *path, const char *key, GType type, const char *kind, JsonNode **out,
               GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  *out = n && !JSON_NODE_HOLDS_NULL (n) ? n : NULL;
  if (*out == NULL || (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == type))
    return TRUE;
  g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG, _("%s: \"%s\" is not %s"), path, key, kind);
  return FALSE;
}

/* An integer member, or def when absent; FALSE when present but not an integer. */
static gboolean
config_int (JsonObject *o, const char *path, const char *key, gint64 def, gint64 *out, GError **error)
{
  JsonNode *n;
  if (!config_member (o, path, key, G_TYPE_INT64, _("an integer"), &n, error))
    return FALSE;
  *out = n ? json_node_get_int (n) : def;
  return TRUE;
}

/* config_int within [lo, hi], refused with the key and the range named. */
static gboolean
config_int_in (JsonObject *o, const char *path, const char *key, gint64 def, gint64 lo, gint64 hi, gint64 *out,
               GError **error)
{
  if (!config_int (o, path, key, def, out, error))
    return FALSE;
  if (*out >= lo && *out <= hi)
    return TRUE;
  g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG, _("%s: \"%s\" is %lld; it must be %lld to %lld"),
               path, key, (long long) *out, (long long) lo, (long long) hi);
  return FALSE;
}

/* A number member in [lo, hi], or def when absent. */
static gboolean
config_number (JsonObject *o, const char *path, const char *key, double def, double lo, double hi, double *out,
               GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  GType t = n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_INVALID;
  if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
    *out = def;
    return TRUE;
  }
  *out = t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double (n) : NAN;
  if (*out >= lo && *out <= hi)
    return TRUE;
  g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG, _("%s: \"%s\" must be a number from %g to %g"),
               path, key, lo, hi);
  return FALSE;
}

/* A boolean member, or def when absent. */
static gboolean
config_bool (JsonObject *o, const char *path, const char *key, gboolean def, gboolean *out, GError **error)
{
  JsonNode *n;
  if (!config_member (o, path, key, G_TYPE_BOOLEAN, _("true or false"), &n, error))
    return FALSE;
  *out = n ? json_node_get_boolean (n) : def;
  return TRUE;
}

/* A string member, NULL when absent or null; FALSE when of another type. */
static gboolean
config_string (JsonObject *o, const char *path, const char *key, const char **out, GError **error)
{
  JsonNode *n;
  if (!config_member (o, path, key, G_TYPE_STRING, _("a string"), &n, error))
    return FALSE;
  *out = n ? json_node_get_string (n) : NULL;
  return TRUE;
}

/* `per` (groups or heads, from key) splits every block's channels. */
static gboolean
config_divides (const char *path, const char *key, gint64 per, const guint *channels, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    if (channels[i] % per != 0) {
      g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG,
                   _("%s: \"%s\" is %lld, which does not divide the %u channels of block %u"), path, key,
                   (long long) per, channels[i], i);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_same (const char *path, const char *what, gint64 config, gint64 weights, GError **error)
{
  if (config == weights)
    return TRUE;
  g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_CONFIG,
               _("%s: config.json gives %s = %lld but the weights have %lld"), path, what,
               (long long) config, (long long) weights);
  return FALSE;
}

/* Opens dir/<one of names> into the network's table. */
static gboolean
open_component (SeModelFiles *m, SeNet net, const char *dir, const char *const *names, GError **error)
{
  g_autofree char *sub = g_build_filename (dir, net_names[net], NULL);
  for (guint i = 0; names[i]; i++) {
    g_autofree char *path = g_build_filename (sub, names[i], NULL);
    if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    SeSafetensors *f = se_safetensors_open (path, error);
    if (f == NULL)
      return FALSE;
    g_ptr_array_add (m->files, f);
    for (guint k = 0; k < se_safetensors_count (f); k++) {
      const SeSafeTensor *t = se_safetensors_nth (f, k);
      add_ref (m, net, g_strdup (t->name), f, t);
    }
    return TRUE;
  }
  g_autofree char *bin = g_build_filename (sub, "diffusion_pytorch_model.bin", NULL);
  g_autofree char *bin2 = g_build_filename (sub, "pytorch_model.bin", NULL);
  if (g_file_test (bin, G_FILE_TEST_EXISTS) || g_file_test (bin2, G_FILE_TEST_EXISTS))
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: only PyTorch .bin weights are present; Semantic Edit reads .safetensors "
                   "(download the safetensors variant of the model)"), sub);
  else
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_NOT_FOUND,
                 _("%s: no %s found"), sub, names[0]);
  return FALSE;
}

static gboolean
open_folder (SeModelFiles *m, GError **error)
{
  static const char *const diffusers_names[] = {
    "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors", NULL };
  static const char *const transformers_names[] = {
    "model.safetensors", "model.fp16.safetensors", NULL };
  g_autofree char *xl = g_build_filename (m->path, "text_encoder_2", NULL);
  if (g_file_test (xl, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: this is an SDXL model (it has text_encoder_2); only Stable Diffusion 1.x "
                   "is supported"), m->path);
    return FALSE;
  }
  g_autofree char *index = g_build_filename (m->path, "model_index.json", NULL);
  if (!g_file_test (index, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_NOT_FOUND,
                 _("%s: not a diffusers model folder (no model_index.json)"), m->path);
    return FALSE;
  }
  if (!open_component (m, SE_NET_UNET, m->path, diffusers_names, error) ||
      !open_component (m, SE_NET_VAE, m->path, diffusers_names, error) ||
      !open_component (m, SE_NET_CLIP, m->path, transformers_names, error) ||
      !derive_unet (m, error) || !derive_vae (m, error) || !derive_clip (m, error))
    return FALSE;

  /* config.json is authoritative where shapes cannot tell, and must agree
   * with the weights where they can */
  gint64 v;
  g_autoptr (JsonParser) pu = json_parser_new ();
  g_autofree char *ucfg = g_build_filename (m->path, "unet", "config.json", NULL);
  JsonObject *u = read_config (ucfg, pu, error);
  if (u == NULL)
    return FALSE;
  const char *extra;
  if (!config_string (u, ucfg, "addition_embed_type", &extra, error))
    return FALSE;
  if (extra) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: the UNet uses addition_embed_type \"%s\" (SDXL-style); only Stable "
                   "Diffusion 1.x is supported"), ucfg, extra);
    return FALSE;
  }
  /* diffusers' SD 1.x quirk: attention_head_dim is the head count */
  if (!config_int_in (u, ucfg, "attention_head_dim", 8, 1, 1024, &v, error) ||
      !config_divides (ucfg, "attention_head_dim", v, m->unet.block_out, m->unet.n_blocks, error))
    return FALSE;
  m->unet.heads = (guint) v;
  if (!config_int_in (u, ucfg, "norm_num_groups", 32, 1, 1024, &v, error) ||
      !config_divides (ucfg, "norm_num_groups", v, m->unet.block_out, m->unet.n_blocks, error))
    return FALSE;
  m->unet.groups = (guint) v;
  if (!config_int (u, ucfg, "cross_attention_dim", m->unet.context_dim, &v, error) ||
      !check_same (ucfg, "cross_attention_dim", v, m->unet.context_dim, error) ||
      !config_int (u, ucfg, "layers_per_block", m->unet.layers, &v, error) ||
      !check_same (ucfg, "layers_per_block", v, m->unet.layers, error))
    return FALSE;
  double d;
  if (!config_number (u, ucfg, "norm_eps", 1e-5, 1e-12, 1.0, &d, error))
    return FALSE;
  m->unet.eps = (float) d;
  if (!config_number (u, ucfg, "freq_shift", 0.0, 0.0, 1.0, &d, error) ||
      !config_bool (u, ucfg, "flip_sin_to_cos", TRUE, &m->unet.flip_sin_to_cos, error))
    return FALSE;
  m->unet.freq_shift = (float) d;

  g_autoptr (JsonParser) pv = json_parser_new ();
  g_autofree char *vcfg = g_build_filename (m->path, "vae", "config.json", NULL);
  JsonObject *va = read_config (vcfg, pv, error);
  if (va == NULL || !config_int_in (va, vcfg, "norm_num_groups", 32, 1, 1024, &v, error) ||
      !config_divides (vcfg, "norm_num_groups", v, m->vae.block_out, m->vae.n_blocks, error) ||
      !config_number (va, vcfg, "scaling_factor", 0.18215, 1e-6, 1e6, &d, error))
    return FALSE;
  m->vae.groups = (guint) v;
  m->vae.scaling = (float) d;

  g_autoptr (JsonParser) pc = json_parser_new ();
  g_autofree char *ccfg = g_build_filename (m->path, "text_encoder", "config.json", NULL);
  JsonObject *c = read_config (ccfg, pc, error);
  const char *act;
  if (c == NULL || !config_int_in (c, ccfg, "num_attention_heads", m->clip.heads, 1, 1024, &v, error) ||
      !config_divides (ccfg, "num_attention_heads", v, &m->clip.hidden, 1, error) ||
      !config_number (c, ccfg, "layer_norm_eps", 1e-5, 1e-12, 1.0, &d, error) ||
      !config_string (c, ccfg, "hidden_act", &act, error))
    return FALSE;
  m->clip.heads = (guint) v;
  m->clip.eps = (float) d;
  act = act ? act : "quick_gelu";
  if (strcmp (act, "quick_gelu") != 0 && strcmp (act, "gelu") != 0) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: hidden_act \"%s\" is not supported (quick_gelu or gelu)"), ccfg, act);
    return FALSE;
  }
  m->clip.quick_gelu = strcmp (act, "quick_gelu") == 0;
  if (m->tokenizer_dir == NULL)
    m->tokenizer_dir = g_build_filename (m->path, "tokenizer", NULL);
  return TRUE;
}

/* ---- single-file LDM checkpoint ---- */

static gboolean
open_single (SeModelFiles *m, GError **error)
{
  SeSafetensors *f = se_safetensors_open (m->path, error);
  if (f == NULL)
    return FALSE;
  g_ptr_array_add (m->files, f);
  guint n = se_safetensors_count (f);
  /* refuse other model families by their tell-tale tensors */
  for (guint i = 0; i < n; i++) {
    const char *name = se_safetensors_nth (f, i)->name;
    const char *family = g_str_has_prefix (name, "conditioner.embedders.") ? _("an SDXL")
                       : g_str_has_prefix (name, "cond_stage_model.model.") ? _("a Stable Diffusion 2.x (OpenCLIP)")
                       : NULL;
    if (family) {
      g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                   _("%s: this is %s checkpoint (it has \"%s\"); only Stable Diffusion 1.x is supported"),
                   m->path, family, name);
      return FALSE;
    }
  }
  if (!se_safetensors_find (f, "model.diffusion_model.input_blocks.0.0.weight")) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_UNSUPPORTED,
                 _("%s: not a Stable Diffusion checkpoint (%u tensors, none named "
                   "model.diffusion_model.*; the first is \"%s\")"), m->path, n,
                 n ? se_safetensors_nth (f, 0)->name : "none");
    return FALSE;
  }
  /* layers per block: the first downsampler sits at input_blocks.(layers+1) */
  guint layers = 0;
  for (guint i = 1; i < 64 && layers == 0; i++) {
    g_autofree char *op = g_strdup_printf ("model.diffusion_model.input_blocks.%u.0.op.weight", i);
    if (se_safetensors_find (f, op))
      layers = i - 1;
  }
  guint vae_blocks = 0;
  for (;; vae_blocks++) {
    g_autofree char *b = g_strdup_printf ("first_stage_model.decoder.up.%u.block.0.conv1.weight", vae_blocks);
    if (!se_safetensors_find (f, b))
      break;
  }
  if (layers == 0 || vae_blocks == 0) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                 _("%s: the UNet has no downsampler or the VAE no decoder blocks: not a "
                   "Stable Diffusion 1.x checkpoint"), m->path);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    const SeSafeTensor *t = se_safetensors_nth (f, i);
    SeNet net;
    char *name = se_ldm_to_diffusers (t->name, layers, vae_blocks, &net);
    if (name)
      add_ref (m, net, name, f, t);
  }
  if (!derive_unet (m, error) || !derive_vae (m, error) || !derive_clip (m, error))
    return FALSE;
  if (m->tokenizer_dir == NULL) {
    g_autofree char *dir = g_path_get_dirname (m->path);
    m->tokenizer_dir = g_build_filename (dir, "tokenizer", NULL);
  }
  return TRUE;
}

SeModelFiles *
se_model_files_open (const char *path, const char *tokenizer_dir, GError **error)
{
  g_autoptr (SeModelFiles) m = g_new0 (SeModelFiles, 1);
  m->path = g_strdup (path);
  m->files = g_ptr_array_new_with_free_func ((GDestroyNotify) se_safetensors_free);
  for (guint i = 0; i < SE_NET_COUNT; i++)
    m->names[i] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->tokenizer_dir = g_strdup (tokenizer_dir);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    m->single_file = FALSE;
  else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    m->single_file = TRUE;
  else {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_NOT_FOUND,
                 _("%s: no such model file or folder"), path);
    return NULL;
  }
  if (!(m->single_file ? open_single (m, error) : open_folder (m, error)))
    return NULL;
  g_autofree char *vocab = g_build_filename (m->tokenizer_dir, "vocab.json", NULL);
  if (!g_file_test (vocab, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_NOT_FOUND,
                 _("%s: no CLIP tokenizer (vocab.json, merges.txt) in %s; put a tokenizer/ folder "
                   "next to the model or give its path"), path, m->tokenizer_dir);
    return NULL;
  }
  return g_steal_pointer (&m);
}

void
se_model_files_free (SeModelFiles *m)
{
  if (m == NULL)
    return;
  for (guint i = 0; i < SE_NET_COUNT; i++)
    if (m->names[i])
      g_hash_table_unref (m->names[i]);
  g_ptr_array_unref (m->files);
  if (m->requests)
    g_ptr_array_unref (m->requests);
  g_free (m->path);
  g_free (m->tokenizer_dir);
  g_free (m);
}

static void
request_free (SeWeightRequest *r)
{
  g_free (r->name);
  g_free (r);
}

static char *
dims_string (guint ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (s, i ? ", %lld" : "%lld", (long long) shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* xorshift64* per tensor, seeded by the model seed and the name */
static void
synthesize (guint64 seed, const char *name, guint ndim, const gint64 *shape, float *out, gsize n)
{
  guint64 x = seed ^ ((guint64) g_str_hash (name) << 17) ^ 0x9E3779B97F4A7C15ull;
  gboolean gamma = ndim == 1 && g_str_has_suffix (name, ".weight");
  double scale = ndim == 1 ? (gamma ? 0.1 : 0.02) : sqrt (3.0 / (double) (n / (gsize) shape[0]));
  for (gsize i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    double u = (double) ((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    out[i] = (float) ((gamma ? 1.0 : 0.0) + scale * u);
  }
}

/* The tensor behind name, checked against the expected shape and type. */
static const SeWeightRef *
checked_ref (const SeModelFiles *m, SeNet net, const char *name, guint ndim, const gint64 *shape,
             GError **error)
{
  const SeWeightRef *r = se_model_files_find (m, net, name);
  if (r == NULL) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                 _("%s: the %s has no tensor \"%s\""), m->path, net_names[net], name);
    return NULL;
  }
  const SeSafeTensor *t = r->tensor;
  gboolean same = t->ndim == ndim;
  for (guint i = 0; same && i < ndim; i++)
    same = t->shape[i] == shape[i];
  gboolean kernel_1x1 = ndim == 2 && t->ndim == 4 && t->shape[0] == shape[0] &&
                        t->shape[1] == shape[1] && t->shape[2] == 1 && t->shape[3] == 1;
  if (!same && !kernel_1x1) {
    g_autofree char *got = dims_string (t->ndim, t->shape);
    g_autofree char *want = dims_string (ndim, shape);
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                 _("%s: tensor \"%s\" has shape %s, expected %s"),
                 se_safetensors_path (r->file), t->name, got, want);
    return NULL;
  }
  if (!se_dtype_is_float (t->dtype)) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR,
                 _("%s: tensor \"%s\" is %s, expected a float type"),
                 se_safetensors_path (r->file), t->name, se_dtype_name (t->dtype));
    return NULL;
  }
  return r;
}

gboolean
se_model_files_read (const SeModelFiles *m, SeNet net, const char *name, guint ndim,
                     const gint64 *shape, float *out, GError **error)
{
  if (m->synthetic) {
    gsize n = 1;
    for (guint i = 0; i < ndim; i++)
      n *= (gsize) shape[i];
    synthesize (m->seed, name, ndim, shape, out, n);
    SeWeightRequest *r = g_new0 (SeWeightRequest, 1);
    r->net = net;
    r->name = g_strdup (name);
    r->ndim = MIN (ndim, G_N_ELEMENTS (r->shape));
    memcpy (r->shape, shape, r->ndim * sizeof *shape);
    g_ptr_array_add (m->requests, r);
    return TRUE;
  }
  const SeWeightRef *r = checked_ref (m, net, name, ndim, shape, error);
  if (r)
    se_safetensors_read_f32 (r->file, r->tensor, out);
  return r != NULL;
}

SeTensor *
se_model_files_upload (const SeModelFiles *m, SeNet net, SeGpu *gpu, const char *name, guint ndim,
                       const gint64 *shape, SeDType dtype, GError **error)
{
  if (!m->synthetic) {
    const SeWeightRef *r = checked_ref (m, net, name, ndim, shape, error);
    SeTensor *t = r ? se_safetensors_upload (r->file, r->tensor, gpu, dtype, error) : NULL;
    if (t && t->ndim != ndim) {             /* a 1x1 kernel used as a matrix */
      t->ndim = ndim;
      t->shape[2] = t->shape[3] = 0;
    }
    return t;
  }
  g_autoptr (SeTensor) dev = se_tensor_new_typed (gpu, dtype, ndim, shape, error);
  if (dev == NULL)
    return NULL;
  g_autofree float *host = g_try_new (float, dev->numel);
  if (host == NULL) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR, _("out of host memory making \"%s\""), name);
    return NULL;
  }
  if (!se_model_files_read (m, net, name, ndim, shape, host, error) ||
      !se_tensor_upload (dev, host, error))
    return NULL;
  return g_steal_pointer (&dev);
}

SeTensor *
se_model_files_upload_packed_3x3 (const SeModelFiles *m, SeNet net, SeGpu *gpu, const char *name,
                                  gint64 O, gint64 C, SeDType dtype, GError **error)
{
  gint64 shape[] = { O, C, 3, 3 };
  if (!m->synthetic) {
    const SeWeightRef *r = checked_ref (m, net, name, 4, shape, error);
    if (r == NULL)
      return NULL;
    if (r->tensor->dtype == dtype)
      return se_tensor_new_packed_3x3 (gpu, dtype, O, C, se_safetensors_data (r->file, r->tensor), error);
  }
  g_autofree float *host = g_try_new (float, (gsize) O * (gsize) C * 9);
  if (host == NULL) {
    g_set_error (error, SE_MODEL_ERROR, SE_MODEL_ERROR_TENSOR, _("out of host memory making \"%s\""), name);
    return NULL;
  }
  if (!se_model_files_read (m, net, name, 4, shape, host, error))
    return NULL;
  return se_tensor_new_packed_3x3_f32 (gpu, dtype, O, C, host, error);
}

SeModelFiles *
se_model_files_new_synthetic (guint64 seed)
{
  SeModelFiles *m = g_new0 (SeModelFiles, 1);
  m->path = g_strdup (_("(random SD 1.5-sized weights)"));
  m->synthetic = TRUE;
  m->seed = seed;
  m->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  m->files = g_ptr_array_new ();
  for (guint i = 0; i < SE_NET_COUNT; i++)
    m->names[i] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->unet = (SeUNetConfig) {
    .in_channels = 4, .out_channels = 4, .n_blocks = 4, .block_out = { 320, 640, 1280, 1280 },
    .down_attn = { TRUE, TRUE, TRUE, FALSE }, .up_attn = { FALSE, TRUE, TRUE, TRUE },
    .layers = 2, .heads = 8, .context_dim = 768, .time_embed_dim = 1280, .groups = 32,
    .eps = 1e-5f, .flip_sin_to_cos = TRUE, .freq_shift = 0.0f,
  };
  m->vae = (SeVaeConfig) {
    .in_channels = 3, .out_channels = 3, .latent_channels = 4, .n_blocks = 4,
    .block_out = { 128, 256, 512, 512 }, .layers = 2, .groups = 32, .scaling = 0.18215f,
  };
  m->clip = (SeClipConfig) {
    .vocab = SE_CLIP_VOCAB, .hidden = 768, .layers = 12, .heads = 12, .intermediate = 3072,
    .positions = SE_CLIP_POSITIONS, .eps = 1e-5f, .quick_gelu = TRUE,
  };
  return m;
}
