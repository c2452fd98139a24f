/* session-private.h: the structures behind engine.h's opaque types, shared by
 * engine.c and the LEDITS code; nothing outside the engine includes it. */
#pragma once

#include "engine.h"
#include "ledits/schedule.h"
#include "nets/clip.h"
#include "nets/unet.h"
#include "nets/vae.h"
#include "text/tokenizer.h"

struct _SeEngine {
  SeGpu *gpu;
};

struct _SeModel {
  SeGpu *gpu;
  SeModelFiles *files;
  SeTokenizer *tokenizer;
  SeClip *clip;
  SeUNet *unet;
  SeVae *vae;
  /* latent -> RGB preview: rgb[c] = map[c][0..3] . latent + map[c][4] */
  double preview_map[3][5];
};

/* Decodes a latent of the session's size (scaled as in the session). */
gboolean se_session_decode_latent (SeSession *s, const double *latent, SeImage *out, GError **error);
