/* fuzz_recipe.c: the recipe JSON parser and validator on arbitrary text: a
 * recipe is refused with an error, or accepted and then written and read
 * back to the same JSON. */
#include <string.h>

#include "fuzz-input.h"
#include "ledits/recipe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *json = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeRecipe) r = se_recipe_from_json (json, &error);
  if (r == NULL) {
    g_assert_nonnull (error);
    return 0;
  }
  if (!se_recipe_validate (r, &error))
    return 0;
  g_autofree char *once = se_recipe_to_json (r);
  g_autoptr (SeRecipe) back = se_recipe_from_json (once, &error);
  g_assert_no_error (error);
  g_autofree char *twice = se_recipe_to_json (back);
  g_assert_cmpstr (once, ==, twice);
  return 0;
}
