/* test_presets.c: the Intensity presets (ui/presets.c): Normal is each
 * method's defaults; Subtle keeps more of the photo and lets the concepts in
 * later, Strong the reverse; each preset's values are recognised as that
 * preset at any step count, and values set by hand as none. */
#include "presets.h"

static void
test_normal_is_default (void)
{
  for (int m = 0; m < 2; m++) {
    g_autoptr (SeRecipe) r = se_recipe_new_for ((SeMethod) m);
    SeConcept *c = se_recipe_add_concept (r, "x");
    SeAdvanced v;
    se_preset_values (SE_PRESET_NORMAL, (SeMethod) m, r->steps, &v);
    g_assert_cmpuint (v.skip, ==, r->skip);
    g_assert_cmpuint (v.warmup, ==, c->warmup);
    g_assert_cmpfloat (v.cfg_src, ==, r->cfg_src);
    g_assert_cmpfloat (v.cfg_tar, ==, r->cfg_tar);
    g_assert_cmpfloat (v.mom_scale, ==, r->mom_scale);
    g_assert_cmpfloat (v.mom_beta, ==, r->mom_beta);
    SeAdvanced d = { r->skip, c->warmup, r->cfg_src, r->cfg_tar, r->mom_scale, r->mom_beta };
    g_assert_cmpint (se_preset_matching ((SeMethod) m, r->steps, &d), ==, SE_PRESET_NORMAL);
  }
}

static void
test_order_and_matching (void)
{
  for (int m = 0; m < 2; m++)
    for (guint steps = 2; steps <= 200; steps += 7) {
      SeAdvanced p[SE_PRESET_COUNT];
      for (int k = 0; k < SE_PRESET_COUNT; k++) {
        se_preset_values ((SePreset) k, (SeMethod) m, steps, &p[k]);
        g_assert_cmpuint (p[k].skip, <, steps);
      }
      /* subtle skips at least as much and starts the concepts no sooner */
      g_assert_cmpuint (p[SE_PRESET_SUBTLE].skip, >=, p[SE_PRESET_NORMAL].skip);
      g_assert_cmpuint (p[SE_PRESET_NORMAL].skip, >=, p[SE_PRESET_STRONG].skip);
      g_assert_cmpuint (p[SE_PRESET_SUBTLE].warmup, >=, p[SE_PRESET_STRONG].warmup);
      if (m == SE_METHOD_LEDITS)
        g_assert_cmpfloat (p[SE_PRESET_SUBTLE].cfg_tar, <, p[SE_PRESET_STRONG].cfg_tar);
      for (int k = 0; k < SE_PRESET_COUNT; k++) {
        int found = se_preset_matching ((SeMethod) m, steps, &p[k]);
        /* at a few steps two presets may round to the same values */
        SeAdvanced q;
        se_preset_values ((SePreset) found, (SeMethod) m, steps, &q);
        g_assert_cmpuint (q.skip, ==, p[k].skip);
        g_assert_cmpuint (q.warmup, ==, p[k].warmup);
      }
      SeAdvanced hand = p[SE_PRESET_NORMAL];
      hand.cfg_src += 0.5;
      g_assert_cmpint (se_preset_matching ((SeMethod) m, steps, &hand), ==, -1);
    }
  SeAdvanced subtle;
  se_preset_values (SE_PRESET_SUBTLE, SE_METHOD_LEDITS, 50, &subtle);
  g_assert_cmpint (se_preset_matching (SE_METHOD_LEDITS, 50, &subtle), ==, SE_PRESET_SUBTLE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/presets/normal-is-default", test_normal_is_default);
  g_test_add_func ("/presets/order-and-matching", test_order_and_matching);
  return g_test_run ();
}
