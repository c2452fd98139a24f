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
};
