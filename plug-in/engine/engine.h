/* engine.h: the whole API the GIMP plug-in, the dialog and the command-line
 * tool use.  No GIMP, no GTK.
 *
 * SeEngine picks and holds the Vulkan device; SeModel holds a loaded Stable
 * Diffusion 1.x model (tokenizer, text encoder, UNet, VAE); SeSession holds
 * one image region encoded to a latent, then its LEDITS inversion, so that
 * edits with different concepts, strengths or prompts re-run only the edit.
 * Calls block and are confined to the calling thread (the UI runs them on a
 * worker); cancellation through a GCancellable takes effect between UNet
 * evaluations and leaves the session as before the call. */
#pragma once

#include <gio/gio.h>

#include "image-resample.h"
#include "ledits/recipe.h"

G_BEGIN_DECLS

typedef struct _SeEngine SeEngine;
typedef struct _SeModel SeModel;
typedef struct _SeSession SeSession;

/* A planar RGB image: data[c * height * width + y * width + x], in [-1, 1]. */
typedef struct {
  guint width, height;
  float *data;
} SeImage;

/* The image functions below return a new image, or one whose data is NULL
 * with error set when its pixels do not fit in host memory (the message
 * names the image's size): sizes come from the user's pictures. */

/* Host memory for `planes` width x height float planes, or NULL with an
 * error naming the image's size. */
float  *se_image_alloc (guint width, guint height, guint planes, GError **error);
/* Whether `count` RGB images of this size fit in host memory together: they
 * are allocated and given back at once, so that work too large for the
 * machine is refused before it starts rather than after minutes of it. */
gboolean se_image_memory_check (guint width, guint height, guint count, GError **error);
/* A resampled copy (separable triangle filter, widened when shrinking). */
SeImage se_image_resize (const SeImage *img, guint width, guint height, GError **error);
/* The working size: the input size when both sides are multiples of
 * `multiple` and the long side is at most `long_side`; otherwise the long
 * side scaled to `long_side` and both sides rounded to multiples. */
void    se_image_working_size (guint width, guint height, guint multiple, guint long_side,
                               guint *out_width, guint *out_height);

/* A rectangle of pixels. */
typedef struct {
  guint x, y, width, height;
} SeBox;

/* The part of a width x height picture an edit of the selection's bounding
 * box `sel` works on: the box grown by a context margin (a quarter of its
 * larger side, at least 16 pixels) and clipped; the whole picture when the
 * selection covers it. */
SeBox   se_box_with_context (SeBox sel, guint width, guint height);
/* The region scaled so its long side is long_side, then padded to
 * multiples of `multiple` by repeating its edges (padding, not distorting);
 * *scaled_w, *scaled_h: its size before the padding. */
SeImage se_image_to_work (const SeImage *region, guint multiple, guint long_side, guint *scaled_w,
                          guint *scaled_h, GError **error);
/* A working-size result with the padding cropped off, scaled back to
 * width x height. */
SeImage se_image_from_work (const SeImage *work, guint scaled_w, guint scaled_h, guint width, guint height,
                            GError **error);
/* The box's pixels of img, as a new image. */
SeImage se_image_crop (const SeImage *img, SeBox box, GError **error);
/* A working-size edit brought back to the region's own resolution
 * (detail.c; README "Full-resolution results").  original: the region at
 * full resolution; edit: a decoded edit at working size whose top-left
 * scaled_w x scaled_h pixels are the region (the rest padding); source:
 * what the edit would decode to had it changed nothing, at the same
 * size (se_session_source), or NULL for the edit alone, scaled ("Keep original
 * detail" off).  With source, an edit that changes nothing returns the
 * original exactly, and small changes keep the original's detail. */
SeImage se_image_result (const SeImage *original, const SeImage *edit, const SeImage *source,
                         guint scaled_w, guint scaled_h, GError **error);

/* phase: "invert", "edit" or "decode"; done of total steps. */
typedef void (*SeProgressFunc) (const char *phase, guint done, guint total, gpointer data);

/* device: an index or part of a name, NULL for SE_VULKAN_DEVICE or the best. */
SeEngine   *se_engine_new (const char *device, GError **error);
void        se_engine_free (SeEngine *engine);
const char *se_engine_device_name (const SeEngine *engine);
/* Every Vulkan device, one "index: name (type)" line each: what
 * SE_VULKAN_DEVICE and the device arguments take. */
char       *se_engine_list_devices (GError **error);
/* "fp16" or "fp32": how the UNet's and text encoder's activations are
 * stored (SE_PRECISION; the VAE's are always fp32). */
const char *se_engine_precision (const SeEngine *engine);
/* Replayed UNet evaluations so far and the wall time they took, each from
 * its submission to its end: a phase's time less theirs is its host work
 * between evaluations (bench-ledits). */
void        se_engine_replay_totals (const SeEngine *engine, guint64 *replays, double *seconds);
/* The kernel family the matrix operators run on ("reference", "subgroup",
 * "tiled", or "coopmat (nv)", "(khr)", "(emulated)"; gpu/device.h). */
const char *se_engine_kernels (const SeEngine *engine);
/* Errors and synchronization hazards the Vulkan validation layer reported
 * (SE_VULKAN_VALIDATION=1); tests require none. */
guint       se_engine_validation_problems (const SeEngine *engine);
/* With SE_VULKAN_PROFILE=1: device time per operator kind since the last
 * reset, one "kind: ms (dispatches)" line each; NULL when profiling is off. */
char       *se_engine_profile_report (SeEngine *engine);
void        se_engine_profile_reset (SeEngine *engine);
/* The most device memory held at once (weights, sessions, activations), in
 * bytes, since the last reset (benchmarks: a whole edit's peak). */
guint64     se_engine_memory_peak (SeEngine *engine);
void        se_engine_memory_reset_peak (SeEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeEngine, se_engine_free)

/* A diffusers folder or a single-file checkpoint; tokenizer_dir may be NULL. */
SeModel *se_model_load (SeEngine *engine, const char *path, const char *tokenizer_dir,
                        GError **error);
/* The same, stopped between two tensors once cancel is cancelled (then
 * NULL and G_IO_ERROR_CANCELLED; nothing is left on the device). */
SeModel *se_model_load_cancellable (SeEngine *engine, const char *path, const char *tokenizer_dir,
                                    GCancellable *cancel, GError **error);
/* SD 1.5's exact shapes with seeded random weights, for benchmarks only
 * (results are noise); tokenizer_dir holds a CLIP vocab.json + merges.txt. */
SeModel *se_model_new_synthetic (SeEngine *engine, const char *tokenizer_dir, guint64 seed,
                                 GError **error);
void     se_model_free (SeModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeModel, se_model_free)
/* Image sides must be multiples of this (64 for SD 1.x). */
guint    se_model_size_multiple (const SeModel *model);
/* The longest working side an edit takes (its memory grows with the
 * square): the command line's --size, the plug-in's working size. */
#define SE_MAX_WORKING_SIDE 4096

/* Encodes the image (sides multiples of se_model_size_multiple). */
SeSession *se_session_new (SeModel *model, const SeImage *image, GError **error);
void       se_session_free (SeSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeSession, se_session_free)

/* The recipe's method's inversion (LEDITS: edit-friendly DDPM over all
 * steps; LEDITS++: DPM-Solver++ over the last steps - skip) with its steps,
 * skip, src and cfg_src, once per candidate: candidate k draws its noise
 * from seed + k (see ledits/rng.h).  The candidates' UNet evaluations share
 * batches (up to SE_MAX_UNET_BATCH latents).  noises, when not NULL, holds
 * se_recipe_inverted_steps() x latent-size N(0, 1) draws for a single
 * candidate (tests). */
#define SE_MAX_UNET_BATCH 8
gboolean se_session_invert (SeSession *s, const SeRecipe *recipe, guint64 seed, guint candidates,
                            const float *noises, SeProgressFunc progress, gpointer data,
                            GCancellable *cancel, GError **error);
/* The edit (skip, tar, cfg_tar, concepts, momentum; LEDITS++: concepts
 * and masks) of every candidate from its inversion; the recipe's method,
 * steps, src and cfg_src (LEDITS++: and skip) must be those inverted with.  out, when not NULL, is an array of se_session_candidates() images
 * that receive the decoded results (data allocated with g_malloc). */
gboolean se_session_edit (SeSession *s, const SeRecipe *recipe, SeImage *out,
                          SeProgressFunc progress, gpointer data, GCancellable *cancel,
                          GError **error);
guint    se_session_candidates (const SeSession *s);
/* What candidate k's edit would decode to if it changed nothing (target =
 * source at the source's guidance, no concepts): the photo after the
 * VAE's and the inversion's round trip, which se_image_result measures an
 * edit's change against.  Decoded on the first call after an inversion and
 * kept; NULL (error set) before an inversion or on failure. */
const SeImage *se_session_source (SeSession *s, guint k, GError **error);
/* TRUE when an inversion for the recipe's (se_session_edit) is held. */
gboolean se_session_is_inverted_for (const SeSession *s, const SeRecipe *recipe);

/* Latent-space results of candidate k, as doubles, for dumps and tests: one
 * latent is se_session_latent_size values ([4, h/8, w/8]). */
gsize         se_session_latent_size (const SeSession *s);
const double *se_session_x0 (const SeSession *s);
/* The latent an unchanged edit of candidate k ends on (se_session_source). */
const double *se_session_reconstruction (const SeSession *s, guint k);
const double *se_session_xts (const SeSession *s, guint k, guint *count);    /* steps + 1 */
const double *se_session_zs (const SeSession *s, guint k, guint *count);     /* steps */
const double *se_session_latent (const SeSession *s, guint k);               /* last edit */
const double *se_session_trace (const SeSession *s, guint k, guint *count);  /* steps - skip */
/* From an "edit" progress callback: candidate k's estimate of the edited
 * latent after that step (the predicted x0); NULL outside an edit. */
const double *se_session_edit_estimate (const SeSession *s, guint k);
/* LEDITS++'s mask of candidate k's concept c: h/8 x w/8 values in [0, 1].
 * From an "edit" progress callback, that step's mask (0 or 1; 0 while the
 * concept waits for its warm-up or after its cool-down); after an edit, the
 * share of the concept's active steps each position was inside it.  NULL
 * when the last edit was not a LEDITS++ one or k or c is out of range. */
const double *se_session_concept_mask (const SeSession *s, guint k, guint c);

/* A cheap stand-in for the VAE decoder, for previews of running edits: an
 * affine map from the 4 latent channels to RGB, fitted against the model's
 * own VAE (a colour chart encoded, decoded, and compared at latent
 * resolution).  Fitting costs one encode and one decode at 128 x 128. */
gboolean se_model_fit_latent_preview (SeModel *model, GError **error);
/* latent [4, lh, lw] as held by a session -> rgb [3, lh, lw] in [-1, 1],
 * through the fitted map (a fixed generic map before fitting). */
void     se_model_latent_preview (const SeModel *model, const double *latent, guint lw, guint lh,
                                  float *rgb);

G_END_DECLS
