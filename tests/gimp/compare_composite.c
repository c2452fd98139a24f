/* compare_composite.c: checks GIMP's exports around a semantic edit.
 *
 *   compare-composite BEFORE.png AFTER.png X Y W H   -> 0 when AFTER equals
 *       BEFORE pixel for pixel outside the rectangle and differs inside it
 *   compare-composite SAME A.png B.png                -> 0 when identical
 * The rectangle is the (unfeathered) selection: where the selection is 0 the
 * flattened image must not change. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
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

int
main (int argc, char **argv)
{
  gboolean same = argc == 4 && strcmp (argv[1], "SAME") == 0;
  if (!same && argc != 7) {
    fprintf (stderr, "usage: %s BEFORE AFTER X Y W H | SAME A B\n", argv[0]);
    return 2;
  }
  GdkPixbuf *a = load (argv[same ? 2 : 1]), *b = load (argv[same ? 3 : 2]);
  int w = gdk_pixbuf_get_width (a), h = gdk_pixbuf_get_height (a);
  if (w != gdk_pixbuf_get_width (b) || h != gdk_pixbuf_get_height (b)) {
    fprintf (stderr, "sizes differ\n");
    return 1;
  }
  int rx = same ? 0 : atoi (argv[3]), ry = same ? 0 : atoi (argv[4]);
  int rw = same ? 0 : atoi (argv[5]), rh = same ? 0 : atoi (argv[6]);
  int na = gdk_pixbuf_get_n_channels (a), nb = gdk_pixbuf_get_n_channels (b);
  long outside_diff = 0, inside_diff = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const guint8 *pa = gdk_pixbuf_read_pixels (a) + y * gdk_pixbuf_get_rowstride (a) + x * na;
      const guint8 *pb = gdk_pixbuf_read_pixels (b) + y * gdk_pixbuf_get_rowstride (b) + x * nb;
      gboolean differ = memcmp (pa, pb, MIN (na, nb)) != 0;
      gboolean inside = x >= rx && x < rx + rw && y >= ry && y < ry + rh;
      if (differ && inside)
        inside_diff++;
      else if (differ)
        outside_diff++;
    }
  printf ("pixels changed: %ld inside the selection, %ld outside\n", inside_diff, outside_diff);
  if (outside_diff != 0)
    return 1;
  return same || inside_diff > 0 ? 0 : 1;
}
