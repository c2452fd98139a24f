/* session-private.h: the structures behind engine.h's opaque types, shared by
 * engine.c and the LEDITS code; nothing outside the engine includes it. */
#pragma once

#include "engine.h"
#include "ledits/footprint.h"
#include "ledits/schedule.h"
#include "nets/clip.h"
#include "nets/unet.h"
#include "nets/vae.h"
#include "text/tokenizer.h"

struct _SeEngine {
  SeGpu *gpu;
  GList *models;                /* SeModel*, loaded and not yet freed */
};

struct _SeModel {
  SeEngine *engine;
  SeGpu *gpu;
  GList *sessions;              /* SeSession*, open on this model */
  guint generation;             /* the device generation its networks live on */
  SeModelFiles *files;
  SeTokenizer *tokenizer;
  SeClip *clip;
  SeUNet *unet;
  SeVae *vae;
  SeFootprint footprint;        /* device memory per run, measured on first need */
  /* latent -> RGB preview: rgb[c] = map[c][0..3] . latent + map[c][4] */
  double preview_map[3][5];
};

/* Makes the model usable before a call: after a device loss, drops every
 * model's networks and every session's recordings, re-creates the device,
 * and loads this model's networks again (sessions keep what they hold on
 * the host: latents, inversions, prompt embeddings). */
gboolean se_model_ready (SeModel *model, GError **error);
/* The same for an engine about to load a model. */
gboolean se_engine_ready (SeEngine *engine, GError **error);
/* What a failed call leaves: work recorded but not run, naming tensors the
 * failure freed, is dropped.  Returns ok. */
gboolean se_engine_finish (SeGpu *gpu, gboolean ok);
/* Frees a session's recorded evaluations (device memory), kept otherwise. */
void     se_session_drop_recordings (SeSession *s);

/* Decodes a latent of the session's size (scaled as in the session). */
gboolean se_session_decode_latent (SeSession *s, const double *latent, SeImage *out, GError **error);
