/* recipe.h: one LEDITS edit as a plain struct, and its JSON form.
 *
 * The JSON object has exactly the keys of ../shared/reference/ledits_runs.json:
 * steps, skip, src, cfg_src, tar, cfg_tar, concepts (a list of {prompt,
 * scale, threshold, warmup, reverse} with optional cooldown and weight),
 * mom_scale, mom_beta; and ours, detail (true: keep the photo's own detail
 * when the result returns to full resolution, se_image_result).  Missing
 * keys take the defaults below (the LEDITS demo's); unknown keys, wrong types and out-of-range values are refused
 * with a message naming the key.  The dialog, the GIMP procedure and the
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
} SeRecipe;

SeRecipe *se_recipe_new (void);                 /* all defaults, no concepts */
SeRecipe *se_recipe_copy (const SeRecipe *r);
void      se_recipe_free (SeRecipe *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeRecipe, se_recipe_free)

/* A concept with default scale, threshold, warmup and weight. */
SeConcept *se_recipe_add_concept (SeRecipe *r, const char *prompt);

/* A copy with `steps` steps (at most r's), the step counts in it (skip,
 * warm-ups, cool-downs) scaled in proportion: the dialog's fast preview of
 * the edit r describes. */
SeRecipe *se_recipe_with_steps (const SeRecipe *r, guint steps);

SeRecipe *se_recipe_from_json (const char *json, GError **error);
char     *se_recipe_to_json (const SeRecipe *r);
/* Checks every range; the error names the key. */
gboolean  se_recipe_validate (const SeRecipe *r, GError **error);

G_END_DECLS
