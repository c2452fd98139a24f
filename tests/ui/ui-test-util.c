/* ui-test-util.c: helpers for the dialog tests (ui-test-util.h). */
#include "ui-test-util.h"

#include <math.h>

#include "dialog-private.h"
#include "gimp-widgets.h"

void
se_ui_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  /* GIMP's own theme (SE_GIMP_THEME: GIMP 2.10's gtkrc, GIMP 3's CSS), as
   * GIMP gives its plug-ins: the screenshots show the dialog as a
   * retoucher sees it */
  const char *theme = g_getenv ("SE_GIMP_THEME");
#if GTK_CHECK_VERSION(3, 0, 0)
  gtk_init (argc, argv);
  if (theme && *theme) {
    g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
    g_autoptr (GError) error = NULL;
    if (!gtk_css_provider_load_from_path (css, theme, &error))
      g_error ("GIMP's theme %s: %s", theme, error->message);
    gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                               GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
#else
  if (theme && *theme)
    gtk_rc_add_default_file (theme);
  gtk_init (argc, argv);
#endif
  gimp_icons_init ();
}

void
se_ui_test_help (const char *id, gpointer data)
{
}

SeImage
se_ui_test_region (void)
{
  guint w = 192, h = 128;
  float *px = g_new (float, 3 * w * h);
  for (guint c = 0; c < 3; c++)
    for (guint y = 0; y < h; y++)
      for (guint x = 0; x < w; x++) {
        double disc = hypot (x - 120.0, y - 60.0) < 30 ? 0.8 : 0.0;
        px[(c * h + y) * w + x] = (float) CLAMP (sin (0.03 * x * (c + 1) + y * 0.02) * 0.6 + disc, -1, 1);
      }
  return (SeImage) { w, h, px };
}

void
se_ui_test_screenshot (GtkWidget *window, const char *path)
{
  if (path == NULL)
    return;
  gint64 until = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < until) {
    while (gtk_events_pending ())
      gtk_main_iteration ();
#if !GTK_CHECK_VERSION(3, 0, 0)
    gdk_window_process_all_updates ();
#endif
    gdk_display_flush (gdk_display_get_default ());
    g_usleep (20000);
  }
  GdkWindow *win = gtk_widget_get_window (window);
#if GTK_CHECK_VERSION(3, 0, 0)
  int w = gdk_window_get_width (win), h = gdk_window_get_height (win);
  g_autoptr (GdkPixbuf) shot = gdk_pixbuf_get_from_window (win, 0, 0, w, h);
#else
  int w, h;
  gdk_drawable_get_size (win, &w, &h);
  g_autoptr (GdkPixbuf) shot = gdk_pixbuf_get_from_drawable (NULL, win, NULL, 0, 0, 0, 0, w, h);
#endif
  g_assert_nonnull (shot);
  g_autoptr (GError) error = NULL;
  g_assert_true (gdk_pixbuf_save (shot, path, "png", &error, NULL));
  g_printerr ("# screenshot: %s\n", path);
}

void
se_ui_test_wait_for (SeUiCondition cond, guint seconds, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  while (!cond ()) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (NULL, TRUE);
  }
}

static SeDialog *waiting;
static guint done_target;

static gboolean
preview_done (void)
{
  return waiting->jobs_done >= done_target && !waiting->running;
}

void
se_ui_test_wait_preview (SeDialog *d, guint seconds, const char *what)
{
  waiting = d;
  done_target = d->jobs_done + 1;
  guint failed = d->jobs_failed;
  se_ui_test_wait_for (preview_done, seconds, what);
  if (d->jobs_failed != failed)
    g_error ("%s: the preview failed: %s", what, gtk_label_get_text (GTK_LABEL (d->message_label)));
}

SeImage
se_ui_test_final_edit (const SeImage *region, const SeDialogValues *chosen, SeEngine *engine, SeModel *loaded)
{
  g_assert_nonnull (engine);    /* handed over: the final edit loads nothing again */
  g_assert_nonnull (loaded);
  g_autoptr (GError) error = NULL;
  SeSession *s = se_session_new (loaded, region, &error);
  g_assert_no_error (error);
  SeImage out = { 0 };
  g_assert_true (se_session_invert (s, chosen->recipe, chosen->seed, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_true (se_session_edit (s, chosen->recipe, &out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out.width, ==, region->width);
  se_session_free (s);
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_model_free (loaded);
  se_engine_free (engine);
  return out;
}

static gboolean
model_loaded (void)
{
  return gtk_widget_get_sensitive (waiting->ok) && !waiting->running;
}

void
se_ui_test_wait_loaded (SeDialog *d, guint seconds, const char *what)
{
  waiting = d;
  guint failed = d->jobs_failed;
  se_ui_test_wait_for (model_loaded, seconds, what);
  if (d->jobs_failed != failed)
    g_error ("%s: a job failed: %s", what, gtk_label_get_text (GTK_LABEL (d->message_label)));
}

GdkPixbuf *
se_ui_test_displayed (SeDialog *d)
{
  return gdk_pixbuf_copy (se_preview_displayed (d->preview));
}
