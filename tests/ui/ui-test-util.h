/* ui-test-util.h: helpers for the dialog tests under Xvfb. */
#pragma once

#include <gtk/gtk.h>

/* Saves window as a PNG at path (nothing when path is NULL), once the last
 * layout and drawing reached the X server. */
void se_ui_test_screenshot (GtkWidget *window, const char *path);

/* Runs the main loop until cond () holds; fails the test, naming what it
 * waited for, after seconds. */
typedef gboolean (*SeUiCondition) (void);
void se_ui_test_wait_for (SeUiCondition cond, guint seconds, const char *what);
