/* recipe.h: one LEDITS edit as a plain struct, and its JSON form.
 *
 * The JSON object has exactly the keys of ../shared/reference/ledits_runs.json:
 * steps, skip, src, cfg_src, tar, cfg_tar, concepts (a list of {prompt,
 * scale, threshold, warmup, reverse} with optional cooldown and weight),
 * mom_scale, mom_beta; and ours: detail (true: keep the photo's own detail
 * when the result returns to full resolution, se_image_result), method
 * ("ledits", the default, or "ledits++"), and for LEDITS++ masks
 * ("intersect", "cross-attention" or "noise") and mask_tokens ("prompt" or
 * "padded").  Missing keys take the method's defaults below (the LEDITS
 * demo's; diffusers' LEditsPPPipeline's); unknown keys, wrong types and
 * out-of-range values are refused with a message naming the key.
 *
 * steps and skip mean the same in both methods: the sampler's schedule has
 * `steps` steps and the first `skip` (the noisiest) are not run.  LEDITS
 * inverts all steps and edits the last steps - skip; LEDITS++ inverts and
 * edits the last steps - skip (diffusers' num_inversion_steps; its skip
 * fraction s is skip = trunc(n (1 + s)) - n).  LEDITS++ has no target
 * prompt (tar must be empty) and ignores cfg_tar, momentum and weights.  The dialog, the GIMP procedure and the
 * command-line tool all use this format. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SE_RECIPE_ERROR (se_recipe_error_quark ())
GQuark se_recipe_error_quark (void);

/* Defaults */
#define SE_RECIPE_STEPS 50
#define SE_RECIPE_SKIP 15              /* 30 % of the steps */
#define SE_RECIPE_CFG_SRC 3.5
#define SE_RECIPE_CFG_TAR 7.5
#define SE_RECIPE_SCALE 7.0
#define SE_RECIPE_THRESHOLD 0.95
#define SE_RECIPE_WARMUP 2
#define SE_RECIPE_MOM_SCALE 0.3
#define SE_RECIPE_MOM_BETA 0.6
/* LEDITS++'s (diffusers' invert() and __call__ defaults: 30 inversion
 * steps, skip 0.15) */
#define SE_RECIPE_PP_STEPS 34
#define SE_RECIPE_PP_SKIP 4
#define SE_RECIPE_PP_SCALE 5.0
#define SE_RECIPE_PP_THRESHOLD 0.9
#define SE_RECIPE_PP_WARMUP 0

typedef enum {
  SE_METHOD_LEDITS,             /* DDPM inversion, SEGA concepts */
  SE_METHOD_LEDITS_PP,          /* DPM-Solver++ inversion, masked concepts */
} SeMethod;

/* LEDITS++'s implicit masks (diffusers' use_cross_attn_mask,
 * use_intersect_mask) */
typedef enum {
  SE_MASKS_INTERSECT,           /* cross-attention and noise (noise only at t <= 800) */
  SE_MASKS_CROSS_ATTENTION,     /* cross-attention alone */
  SE_MASKS_NOISE,               /* the noise estimate's quantile alone */
} SeMaskMode;

typedef struct {
  char *prompt;
  double scale;                 /* 0..100 */
  double threshold;             /* quantile of |guidance| kept, 0..1 */
  guint warmup;                 /* steps before the concept joins the edit */
  gint cooldown;                /* step from which it stops; -1: never */
  gboolean reverse;             /* remove the concept instead of adding it */
  double weight;                /* 0..100, default 1 */
} SeConcept;

typedef struct {
  guint steps;                  /* 2..1000 */
  guint skip;                   /* 0..steps-1: leading steps not edited */
  char *src;                    /* what the photo shows; may be empty */
  double cfg_src;
  char *tar;                    /* target prompt; may be empty */
  double cfg_tar;
  GArray *concepts;             /* SeConcept */
  double mom_scale, mom_beta;
  gboolean detail;              /* "Keep original detail" (default TRUE) */
  SeMethod method;
  SeMaskMode masks;             /* LEDITS++ */
  /* LEDITS++: a concept's attention map sums tokens 1..75 (the prompt and
   * its padding, what diffusers computes with a fast tokenizer) instead of
   * the prompt's own tokens (README "LEDITS++") */
  gboolean mask_padded_tokens;
} SeRecipe;

SeRecipe *se_recipe_new (void);                 /* all defaults, no concepts */
SeRecipe *se_recipe_new_for (SeMethod method);  /* that method's defaults */
/* "ledits", "ledits++" */
const char *se_method_name (SeMethod method);
gboolean    se_method_from_name (const char *name, SeMethod *out);
SeRecipe *se_recipe_copy (const SeRecipe *r);
void      se_recipe_free (SeRecipe *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeRecipe, se_recipe_free)

/* A concept with the method's default scale, threshold, warmup and weight. */
SeConcept *se_recipe_add_concept (SeRecipe *r, const char *prompt);

/* A copy with `steps` steps (at most r's), the step counts in it (skip,
 * warm-ups, cool-downs) scaled in proportion: the dialog's fast preview of
 * the edit r describes. */
SeRecipe *se_recipe_with_steps (const SeRecipe *r, guint steps);

/* The steps an inversion runs: LEDITS all, LEDITS++ steps - skip (the
 * noise draws it takes: that many latents). */
guint     se_recipe_inverted_steps (const SeRecipe *r);
/* Whether r asks for a change: a concept or (LEDITS) a target prompt.
 * Without one an edit returns the photo as the model reconstructs it. */
gboolean  se_recipe_changes (const SeRecipe *r);

SeRecipe *se_recipe_from_json (const char *json, GError **error);
char     *se_recipe_to_json (const SeRecipe *r);
/* Checks every range; the error names the key. */
gboolean  se_recipe_validate (const SeRecipe *r, GError **error);

G_END_DECLS
