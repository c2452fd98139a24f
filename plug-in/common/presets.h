/* presets.h: the dialog's Intensity presets (subtle, normal, strong): the
 * advanced values set together, for a method and a step count.  Normal is
 * the method's defaults.  Toolkit-free: both GIMP front ends use it. */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

typedef enum {
  SE_PRESET_SUBTLE,
  SE_PRESET_NORMAL,
  SE_PRESET_STRONG,
  SE_PRESET_COUNT,
} SePreset;

/* The values a preset sets (the recipe's keys; warmup for every concept). */
typedef struct {
  guint skip, warmup;
  double cfg_src, cfg_tar, mom_scale, mom_beta;
} SeAdvanced;

void se_preset_values (SePreset preset, SeMethod method, guint steps, SeAdvanced *out);
/* The preset whose values v are for this method and step count, or -1. */
int  se_preset_matching (SeMethod method, guint steps, const SeAdvanced *v);

G_END_DECLS
