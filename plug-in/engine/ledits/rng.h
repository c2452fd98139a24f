/* rng.h: the documented noise generator of inversions, identical on every
 * device and platform (it runs on the host in integer arithmetic).
 *
 * Draw k of seed s is the k-th output of SplitMix64 started at s, turned into
 * uniform doubles u = (x >> 11) * 2^-53 and paired by Box-Muller:
 * n = sqrt(-2 ln(1 - u1)) * cos(2 pi u2), then sin for the next draw. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 state;
  gboolean has_spare;
  double spare;
} SeRng;

void   se_rng_init (SeRng *r, guint64 seed);
double se_rng_normal (SeRng *r);

G_END_DECLS
