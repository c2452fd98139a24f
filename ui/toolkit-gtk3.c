/* toolkit-gtk3.c: toolkit.h for GTK 3 and GIMP 3's libgimpwidgets. */
#include "toolkit.h"

#include <glib/gi18n-lib.h>

GtkWidget *
se_ui_box_new (GtkOrientation orientation, gint spacing)
{
  return gtk_box_new (orientation, spacing);
}

void
se_ui_align_start (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    gtk_label_set_xalign (GTK_LABEL (widget), 0.0f);
  else
    gtk_widget_set_halign (widget, GTK_ALIGN_START);
}

GtkWidget *
se_ui_icon_new (const char *icon_name, GtkIconSize size)
{
  return gtk_image_new_from_icon_name (icon_name, size);
}

void
se_ui_button_set_icon (GtkButton *button, const char *icon_name, GtkIconSize size)
{
  gtk_button_set_image (button, se_ui_icon_new (icon_name, size));
  gtk_button_set_always_show_image (button, TRUE);
}

void
se_ui_entry_set_placeholder (GtkEntry *entry, const char *text)
{
  gtk_entry_set_placeholder_text (entry, text);
}

void
se_ui_scrolled_add (GtkScrolledWindow *scrolled, GtkWidget *child)
{
  gtk_container_add (GTK_CONTAINER (scrolled), child);     /* a viewport comes with it */
  gtk_viewport_set_shadow_type (GTK_VIEWPORT (gtk_bin_get_child (GTK_BIN (scrolled))), GTK_SHADOW_NONE);
}

GtkWidget *
se_ui_progress_bar_new (void)
{
  GtkWidget *bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (bar), TRUE);
  return bar;
}

void
se_ui_menu_popup_below (GtkMenu *menu, GtkWidget *widget)
{
  gtk_menu_popup_at_widget (menu, widget, GDK_GRAVITY_SOUTH_WEST, GDK_GRAVITY_NORTH_WEST, NULL);
}

GtkWidget *
se_ui_file_chooser_new (const char *title, GtkWindow *parent, GtkFileChooserAction action)
{
  return gtk_file_chooser_dialog_new (title, parent, action, _("_Cancel"), GTK_RESPONSE_CANCEL, _("_Open"),
                                      GTK_RESPONSE_ACCEPT, NULL);
}

typedef struct {
  SeUiPaint paint;
  gpointer data;
} Painter;

static gboolean
on_draw (GtkWidget *widget, cairo_t *cr, Painter *p)
{
  p->paint (widget, cr, p->data);
  return TRUE;
}

void
se_ui_connect_paint (GtkWidget *widget, SeUiPaint paint, gpointer data)
{
  Painter *p = g_new (Painter, 1);
  *p = (Painter) { paint, data };
  g_signal_connect_data (widget, "draw", G_CALLBACK (on_draw), p, (GClosureNotify) (void (*) (void)) g_free, 0);
}

/* A GtkGrid: labels in column 0, what they name in column 1.  GIMP 3's
 * scale entry is one widget with its own label, so it spans both columns,
 * and a size group gives its label the width of column 0. */
GtkWidget *
se_ui_form_new (gint column_spacing, gint row_spacing)
{
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), (guint) column_spacing);
  gtk_grid_set_row_spacing (GTK_GRID (grid), (guint) row_spacing);
  g_object_set_data_full (G_OBJECT (grid), "se-labels", gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL),
                          g_object_unref);
  return grid;
}

static void
line_up (GtkWidget *form, GtkWidget *label)
{
  gtk_size_group_add_widget (g_object_get_data (G_OBJECT (form), "se-labels"), label);
}

void
se_ui_form_attach (GtkWidget *form, guint row, GtkWidget *label, GtkWidget *widget, gboolean expand)
{
  line_up (form, label);
  gtk_grid_attach (GTK_GRID (form), label, 0, (gint) row, 1, 1);
  gtk_widget_set_hexpand (widget, expand);
  gtk_widget_set_vexpand (widget, expand);
  gtk_grid_attach (GTK_GRID (form), widget, 1, (gint) row, 1, 1);
}

GtkAdjustment *
se_ui_scale_entry_new (GtkWidget *form, guint row, const char *label, double value, double lo, double hi,
                       double step, double page, guint digits, double spin_lo, double spin_hi, const char *tooltip)
{
  gboolean constrained = spin_lo == spin_hi;
  GtkWidget *entry = gimp_scale_entry_new (label, value, constrained ? lo : spin_lo, constrained ? hi : spin_hi,
                                           digits);
  if (!constrained)
    gimp_scale_entry_set_bounds (GIMP_SCALE_ENTRY (entry), lo, hi, TRUE);
  gimp_label_spin_set_increments (GIMP_LABEL_SPIN (entry), step, page);
  gtk_widget_set_size_request (gimp_scale_entry_get_range (GIMP_SCALE_ENTRY (entry)), 140, -1);
  gimp_help_set_help_data (entry, tooltip, NULL);
  line_up (form, gimp_labeled_get_label (GIMP_LABELED (entry)));
  gtk_widget_set_hexpand (entry, TRUE);
  gtk_grid_attach (GTK_GRID (form), entry, 0, (gint) row, 2, 1);
  /* the adjustment the dialog reads and sets: bound to the entry's value
   * (its slider and spin button keep their own adjustments in step) */
  GtkAdjustment *adjustment = gtk_adjustment_new (value, constrained ? lo : spin_lo, constrained ? hi : spin_hi,
                                                  step, page, 0);
  g_object_set_data_full (G_OBJECT (entry), "se-adjustment", g_object_ref_sink (adjustment), g_object_unref);
  g_object_bind_property (entry, "value", adjustment, "value", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_set_data (G_OBJECT (adjustment), "se-scale-entry", entry);
  return adjustment;
}

void
se_ui_scale_entry_set_sensitive (GtkAdjustment *adjustment, gboolean sensitive)
{
  gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (adjustment), "se-scale-entry"), sensitive);
}
