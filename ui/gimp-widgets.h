/* gimp-widgets.h: libgimpwidgets, whose headers need GEGL's and babl's
 * types declared first. */
#pragma once

#include <gegl.h>
#include <libgimpwidgets/gimpwidgets.h>
