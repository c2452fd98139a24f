/* progress.c: the progress line (progress.h). */
#include "progress.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

struct _SeCliProgress {
  gboolean enabled;
  guint images, index, edited;
  double seconds;               /* of the images that ran an edit */
  char *name;
  gboolean shown;
};

SeCliProgress *
se_cli_progress_new (gboolean enabled, guint images)
{
  SeCliProgress *p = g_new0 (SeCliProgress, 1);
  p->enabled = enabled;
  p->images = images;
  return p;
}

void
se_cli_progress_free (SeCliProgress *p)
{
  if (p == NULL)
    return;
  se_cli_progress_clear (p);
  g_free (p->name);
  g_free (p);
}

void
se_cli_progress_clear (SeCliProgress *p)
{
  if (p->enabled && p->shown)
    fputs ("\r\033[K", stderr);
  p->shown = FALSE;
}

void
se_cli_progress_image (SeCliProgress *p, guint index, const char *name)
{
  p->index = index;
  g_free (p->name);
  p->name = g_path_get_basename (name);
}

static char *
duration (double s)
{
  if (s < 90)
    return g_strdup_printf (_("%.0f s"), s);
  if (s < 90 * 60)
    return g_strdup_printf (_("%.0f min"), s / 60);
  return g_strdup_printf (_("%.1f h"), s / 3600);
}

void
se_cli_progress_step (const char *phase, guint done, guint total, gpointer data)
{
  SeCliProgress *p = data;
  if (!p->enabled)
    return;
  g_autoptr (GString) line = g_string_new (NULL);
  g_string_append_printf (line, "[%u/%u] %s  %s %u/%u", p->index + 1, p->images, p->name, phase, done, total);
  if (p->edited > 0) {
    double per = p->seconds / p->edited;
    g_autofree char *left = duration (per * (p->images - p->index));
    g_string_append_printf (line, _("  %.1f s/image, about %s left"), per, left);
  }
  fprintf (stderr, "\r\033[K%s", line->str);
  fflush (stderr);
  p->shown = TRUE;
}

void
se_cli_progress_image_done (SeCliProgress *p, double seconds, gboolean edited)
{
  if (edited) {
    p->seconds += seconds;
    p->edited++;
  }
}
