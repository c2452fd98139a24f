/* presets.c: the Intensity presets (presets.h). */
#include "presets.h"

#include <math.h>

/* Per method and preset: the share of the steps left unedited, the target
 * guidance, the concepts' warm-up and the momentum.  Subtle keeps more of
 * the photo and lets the concepts in later; strong the reverse.  LEDITS++
 * has no target prompt and no momentum. */
typedef struct {
  double skip_share, cfg_tar, mom_scale;
  guint warmup;
} Row;

static const Row table[2][SE_PRESET_COUNT] = {
  [SE_METHOD_LEDITS] = {
    [SE_PRESET_SUBTLE] = { 0.45, 5.0, SE_RECIPE_MOM_SCALE, 4 },
    [SE_PRESET_NORMAL] = { (double) SE_RECIPE_SKIP / SE_RECIPE_STEPS, SE_RECIPE_CFG_TAR, SE_RECIPE_MOM_SCALE,
                           SE_RECIPE_WARMUP },
    [SE_PRESET_STRONG] = { 0.15, 10.0, 0.5, 1 },
  },
  [SE_METHOD_LEDITS_PP] = {
    [SE_PRESET_SUBTLE] = { 0.25, SE_RECIPE_CFG_TAR, SE_RECIPE_MOM_SCALE, 2 },
    [SE_PRESET_NORMAL] = { (double) SE_RECIPE_PP_SKIP / SE_RECIPE_PP_STEPS, SE_RECIPE_CFG_TAR, SE_RECIPE_MOM_SCALE,
                           SE_RECIPE_PP_WARMUP },
    [SE_PRESET_STRONG] = { 0.05, SE_RECIPE_CFG_TAR, SE_RECIPE_MOM_SCALE, 0 },
  },
};

void
se_preset_values (SePreset preset, SeMethod method, guint steps, SeAdvanced *out)
{
  const Row *t = &table[method == SE_METHOD_LEDITS_PP][preset];
  guint skip = (guint) lround (t->skip_share * steps);
  *out = (SeAdvanced) { .skip = MIN (skip, steps - 1), .warmup = t->warmup, .cfg_src = SE_RECIPE_CFG_SRC,
                        .cfg_tar = t->cfg_tar, .mom_scale = t->mom_scale, .mom_beta = SE_RECIPE_MOM_BETA };
}

int
se_preset_matching (SeMethod method, guint steps, const SeAdvanced *v)
{
  for (int p = 0; p < SE_PRESET_COUNT; p++) {
    SeAdvanced want;
    se_preset_values ((SePreset) p, method, steps, &want);
    gboolean same = want.skip == v->skip && want.warmup == v->warmup && fabs (want.cfg_src - v->cfg_src) < 1e-9;
    if (method == SE_METHOD_LEDITS)     /* LEDITS++ ignores the rest */
      same = same && fabs (want.cfg_tar - v->cfg_tar) < 1e-9 && fabs (want.mom_scale - v->mom_scale) < 1e-9 &&
             fabs (want.mom_beta - v->mom_beta) < 1e-9;
    if (same)
      return p;
  }
  return -1;
}
