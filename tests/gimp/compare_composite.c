/* compare_composite.c: checks GIMP's exports around a semantic edit.
 *
 *   compare-composite BEFORE.png AFTER.png MASK.png
 *       0 when AFTER equals BEFORE pixel for pixel wherever the selection
 *       (MASK, the selection channel exported) is 0, and differs somewhere
 *       it is not
 *   compare-composite SAME A.png B.png
 *       0 when the two are identical (the original layer is untouched)
 *   compare-composite CLOSE A.png B.png
 *       0 when no channel of the two differs by more than one level of 255
 *       (a result that must equal the original within 1/255) */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GdkPixbuf *
load (const char *path)
{
  GError *error = NULL;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, &error);
  if (pb == NULL) {
    fprintf (stderr, "%s: %s\n", path, error->message);
    exit (2);
  }
  return pb;
}

static const guint8 *
pixel (GdkPixbuf *pb, int x, int y)
{
  return gdk_pixbuf_read_pixels (pb) + y * gdk_pixbuf_get_rowstride (pb) + x * gdk_pixbuf_get_n_channels (pb);
}

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: %s BEFORE AFTER MASK | SAME A B | CLOSE A B\n", argv[0]);
    return 2;
  }
  gboolean close = strcmp (argv[1], "CLOSE") == 0;
  gboolean same = close || strcmp (argv[1], "SAME") == 0;
  GdkPixbuf *a = load (argv[same ? 2 : 1]), *b = load (argv[same ? 3 : 2]);
  GdkPixbuf *mask = same ? NULL : load (argv[3]);
  int w = gdk_pixbuf_get_width (a), h = gdk_pixbuf_get_height (a);
  if (w != gdk_pixbuf_get_width (b) || h != gdk_pixbuf_get_height (b) ||
      (mask && (w != gdk_pixbuf_get_width (mask) || h != gdk_pixbuf_get_height (mask)))) {
    fprintf (stderr, "sizes differ\n");
    return 1;
  }
  int n = MIN (gdk_pixbuf_get_n_channels (a), gdk_pixbuf_get_n_channels (b));
  long outside = 0, inside = 0;
  int largest = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < n; c++)
        largest = MAX (largest, abs (pixel (a, x, y)[c] - pixel (b, x, y)[c]));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      gboolean differ = memcmp (pixel (a, x, y), pixel (b, x, y), n) != 0;
      gboolean selected = mask == NULL || pixel (mask, x, y)[0] > 0;
      if (differ && selected)
        inside++;
      else if (differ)
        outside++;
    }
  printf ("%s: %ld pixels changed where selected, %ld where not; largest change %d of 255\n", argv[2], inside,
          outside, largest);
  if (close)
    return largest <= 1 ? 0 : 1;
  if (outside != 0)
    return 1;
  return same ? (inside == 0 ? 0 : 1) : (inside > 0 ? 0 : 1);
}
