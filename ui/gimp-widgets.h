/* gimp-widgets.h: GTK and libgimpwidgets (GIMP 2.10's or GIMP 3's), whose
 * headers need GTK's, GEGL's and babl's types declared first. */
#pragma once

#include <gegl.h>
#include <gtk/gtk.h>
#include <libgimpwidgets/gimpwidgets.h>
