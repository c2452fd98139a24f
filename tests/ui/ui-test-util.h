/* ui-test-util.h: helpers for the dialog tests under Xvfb. */
#pragma once

#include <gtk/gtk.h>

#include "dialog.h"
#include "engine.h"

/* g_test_init, gtk_init (with GIMP's theme when SE_GIMP_THEME names its
 * gtkrc or, in GTK 3, its CSS) and GIMP's icons: how every dialog test starts. */
void se_ui_test_init (int *argc, char ***argv);
/* The dialog's help function outside GIMP: nothing to open. */
void se_ui_test_help (const char *id, gpointer data);
typedef struct _SeDialog SeDialog;
/* Waits (seconds at most) for the dialog's next finished preview; fails the
 * test on a failed one, naming what it waited for and the dialog's message. */
void se_ui_test_wait_preview (SeDialog *d, guint seconds, const char *what);
/* OK's final edit in a test: the chosen values at full size and steps on
 * region with the engine and model the dialog handed over (both freed);
 * checks the edit ran without validation problems.  Returns it. */
SeImage se_ui_test_final_edit (const SeImage *region, const SeDialogValues *chosen, SeEngine *engine,
                               SeModel *loaded);
/* Waits for the model in the dialog's entry to be loaded, OK sensitive. */
void se_ui_test_wait_loaded (SeDialog *d, guint seconds, const char *what);
/* A copy of what the dialog's preview shows now. */
GdkPixbuf *se_ui_test_displayed (SeDialog *d);

/* A 192 x 128 working image: smooth colours with a bright disc (data
 * g_malloc'ed, the caller's). */
SeImage se_ui_test_region (void);

/* Saves window as a PNG at path (nothing when path is NULL), once the last
 * layout and drawing reached the X server. */
void se_ui_test_screenshot (GtkWidget *window, const char *path);

/* Runs the main loop until cond () holds; fails the test, naming what it
 * waited for, after seconds. */
typedef gboolean (*SeUiCondition) (void);
void se_ui_test_wait_for (SeUiCondition cond, guint seconds, const char *what);
