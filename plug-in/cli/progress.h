/* progress.h: the command-line tool's progress line on a terminal.
 *
 * One line, rewritten in place: which image of the run, its phase and step,
 * seconds per image so far and the time left at that pace.  Disabled (every
 * call a no-op) when stderr is not a terminal or with --quiet, so logs and
 * pipes get only the errors and the summary. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SeCliProgress SeCliProgress;

SeCliProgress *se_cli_progress_new (gboolean enabled, guint images);
void           se_cli_progress_free (SeCliProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeCliProgress, se_cli_progress_free)

/* Image index (from 0) of the run starts. */
void se_cli_progress_image (SeCliProgress *p, guint index, const char *name);
/* An SeProgressFunc: the current image's phase and step (data: the
 * SeCliProgress). */
void se_cli_progress_step (const char *phase, guint done, guint total, gpointer data);
/* The current image ended after `seconds` (counted in the pace when it ran
 * an edit). */
void se_cli_progress_image_done (SeCliProgress *p, double seconds, gboolean edited);
/* Clears the line so a message can be printed. */
void se_cli_progress_clear (SeCliProgress *p);

G_END_DECLS
