/* rng.c: SplitMix64 + Box-Muller. */
#include "rng.h"

#include <math.h>

void
se_rng_init (SeRng *r, guint64 seed)
{
  *r = (SeRng) { .state = seed };
}

static double
uniform (SeRng *r)
{
  guint64 z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double) (z >> 11) * (1.0 / 9007199254740992.0);
}

double
se_rng_normal (SeRng *r)
{
  if (r->has_spare) {
    r->has_spare = FALSE;
    return r->spare;
  }
  double u1 = uniform (r), u2 = uniform (r);
  double rad = sqrt (-2.0 * log (1.0 - u1)), ang = 2.0 * G_PI * u2;
  r->spare = rad * sin (ang);
  r->has_spare = TRUE;
  return rad * cos (ang);
}
