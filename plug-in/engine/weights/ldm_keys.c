/* ldm_keys.c: original Stable Diffusion (LDM) tensor names -> diffusers names.
 *
 * The correspondence follows the layouts themselves: the LDM UNet numbers its
 * input/output blocks flat (input_blocks.I.J: block (I-1) / (layers+1),
 * position (I-1) % (layers+1); a position equal to layers is the
 * downsampler), the LDM VAE decoder numbers its up blocks in reverse, and
 * resnet/attention parts have older names. */
#include "model.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  const char *from, *to;
} Rename;

static const Rename unet_resnet[] = {
  { "in_layers.0.", "norm1." }, { "in_layers.2.", "conv1." },
  { "emb_layers.1.", "time_emb_proj." }, { "out_layers.0.", "norm2." },
  { "out_layers.3.", "conv2." }, { "skip_connection.", "conv_shortcut." },
};

static const Rename vae_parts[] = {
  { "nin_shortcut.", "conv_shortcut." }, { "norm.", "group_norm." }, { "q.", "to_q." },
  { "k.", "to_k." }, { "v.", "to_v." }, { "proj_out.", "to_out.0." },
};

static char *
rename_part (const char *prefix, const char *rest, const Rename *table, guint n)
{
  for (guint i = 0; i < n; i++)
    if (g_str_has_prefix (rest, table[i].from))
      return g_strconcat (prefix, table[i].to, rest + strlen (table[i].from), NULL);
  return g_strconcat (prefix, rest, NULL);
}

/* Parses "N." at *p, advancing past it. */
static gboolean
take_index (const char **p, guint *out)
{
  char *end = NULL;
  guint64 v = g_ascii_strtoull (*p, &end, 10);
  if (end == *p || *end != '.' || v > 1000)
    return FALSE;
  *out = (guint) v;
  *p = end + 1;
  return TRUE;
}

static char *
unet_key (const char *k, guint layers)
{
  const char *rest = k;
  guint i, j;
  if (g_str_has_prefix (k, "time_embed.0."))
    return g_strconcat ("time_embedding.linear_1.", k + 13, NULL);
  if (g_str_has_prefix (k, "time_embed.2."))
    return g_strconcat ("time_embedding.linear_2.", k + 13, NULL);
  if (g_str_has_prefix (k, "input_blocks.0.0."))
    return g_strconcat ("conv_in.", k + 17, NULL);
  if (g_str_has_prefix (k, "out.0."))
    return g_strconcat ("conv_norm_out.", k + 6, NULL);
  if (g_str_has_prefix (k, "out.2."))
    return g_strconcat ("conv_out.", k + 6, NULL);
  if (g_str_has_prefix (k, "middle_block.")) {
    rest += strlen ("middle_block.");
    if (!take_index (&rest, &i) || i > 2)
      return NULL;
    if (i == 1)
      return g_strconcat ("mid_block.attentions.0.", rest, NULL);
    g_autofree char *prefix = g_strdup_printf ("mid_block.resnets.%u.", i / 2);
    return rename_part (prefix, rest, unet_resnet, G_N_ELEMENTS (unet_resnet));
  }
  if (g_str_has_prefix (k, "input_blocks.")) {
    rest += strlen ("input_blocks.");
    if (!take_index (&rest, &i) || !take_index (&rest, &j) || i == 0)
      return NULL;
    guint b = (i - 1) / (layers + 1), l = (i - 1) % (layers + 1);
    if (j == 0 && g_str_has_prefix (rest, "op."))
      return g_strdup_printf ("down_blocks.%u.downsamplers.0.conv.%s", b, rest + 3);
    g_autofree char *prefix = g_strdup_printf (j == 0 ? "down_blocks.%u.resnets.%u." :
                                               "down_blocks.%u.attentions.%u.", b, l);
    return j == 0 ? rename_part (prefix, rest, unet_resnet, G_N_ELEMENTS (unet_resnet))
                  : g_strconcat (prefix, rest, NULL);
  }
  if (g_str_has_prefix (k, "output_blocks.")) {
    rest += strlen ("output_blocks.");
    if (!take_index (&rest, &i) || !take_index (&rest, &j))
      return NULL;
    guint b = i / (layers + 1), l = i % (layers + 1);
    if (j > 0 && g_str_has_prefix (rest, "conv."))
      return g_strdup_printf ("up_blocks.%u.upsamplers.0.conv.%s", b, rest + 5);
    g_autofree char *prefix = g_strdup_printf (j == 0 ? "up_blocks.%u.resnets.%u." :
                                               "up_blocks.%u.attentions.%u.", b, l);
    return j == 0 ? rename_part (prefix, rest, unet_resnet, G_N_ELEMENTS (unet_resnet))
                  : g_strconcat (prefix, rest, NULL);
  }
  return NULL;
}

static char *
vae_key (const char *k, guint vae_blocks)
{
  const char *rest;
  guint i, j;
  const char *part = g_str_has_prefix (k, "encoder.") ? "encoder." :
                     g_str_has_prefix (k, "decoder.") ? "decoder." : NULL;
  if (part == NULL)
    return g_str_has_prefix (k, "quant_conv.") || g_str_has_prefix (k, "post_quant_conv.")
           ? g_strdup (k) : NULL;
  rest = k + 8;
  if (g_str_has_prefix (rest, "conv_in.") || g_str_has_prefix (rest, "conv_out."))
    return g_strdup (k);
  if (g_str_has_prefix (rest, "norm_out."))
    return g_strconcat (part, "conv_norm_out.", rest + 9, NULL);
  if (g_str_has_prefix (rest, "mid.")) {
    static const Rename mid[] = {
      { "mid.block_1.", "mid_block.resnets.0." }, { "mid.block_2.", "mid_block.resnets.1." },
      { "mid.attn_1.", "mid_block.attentions.0." },
    };
    for (guint m = 0; m < G_N_ELEMENTS (mid); m++)
      if (g_str_has_prefix (rest, mid[m].from)) {
        g_autofree char *prefix = g_strconcat (part, mid[m].to, NULL);
        /* resnets rename only their shortcut; attention renames its parts */
        return rename_part (prefix, rest + strlen (mid[m].from), vae_parts,
                            m == 2 ? G_N_ELEMENTS (vae_parts) : 1);
      }
    return NULL;
  }
  gboolean down = g_str_has_prefix (rest, "down.");
  if (!down && !g_str_has_prefix (rest, "up."))
    return NULL;
  rest += down ? 5 : 3;
  if (!take_index (&rest, &i) || (!down && i >= vae_blocks))
    return NULL;
  guint b = down ? i : vae_blocks - 1 - i;
  const char *blocks = down ? "down_blocks" : "up_blocks";
  if (g_str_has_prefix (rest, "block.")) {
    rest += 6;
    if (!take_index (&rest, &j))
      return NULL;
    g_autofree char *prefix = g_strdup_printf ("%s%s.%u.resnets.%u.", part, blocks, b, j);
    return rename_part (prefix, rest, vae_parts, 1);
  }
  if (g_str_has_prefix (rest, "downsample.conv.") || g_str_has_prefix (rest, "upsample.conv."))
    return g_strdup_printf ("%s%s.%u.%s.0.conv.%s", part, blocks, b,
                            down ? "downsamplers" : "upsamplers", strchr (rest, '.') + 6);
  return NULL;
}

char *
se_ldm_to_diffusers (const char *key, guint layers, guint vae_blocks, SeNet *net)
{
  static const char unet[] = "model.diffusion_model.";
  static const char vae[] = "first_stage_model.";
  static const char clip[] = "cond_stage_model.transformer.";
  if (g_str_has_prefix (key, unet)) {
    *net = SE_NET_UNET;
    return unet_key (key + strlen (unet), layers);
  }
  if (g_str_has_prefix (key, vae)) {
    *net = SE_NET_VAE;
    return vae_key (key + strlen (vae), vae_blocks);
  }
  if (g_str_has_prefix (key, clip)) {
    const char *rest = key + strlen (clip);
    *net = SE_NET_CLIP;
    if (g_str_has_suffix (rest, "position_ids"))
      return NULL;
    /* SD 1.4-era files lack the text_model. level */
    return g_str_has_prefix (rest, "text_model.") ? g_strdup (rest) : g_strconcat ("text_model.", rest, NULL);
  }
  return NULL;
}
