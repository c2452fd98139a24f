/* toolkit-gtk2.c: toolkit.h for GTK 2 and GIMP 2.10's libgimpwidgets. */
#include "toolkit.h"

GtkWidget *
se_ui_box_new (GtkOrientation orientation, gint spacing)
{
  return orientation == GTK_ORIENTATION_HORIZONTAL ? gtk_hbox_new (FALSE, spacing) : gtk_vbox_new (FALSE, spacing);
}

void
se_ui_align_start (GtkWidget *widget)
{
  if (GTK_IS_MISC (widget))
    gtk_misc_set_alignment (GTK_MISC (widget), 0.0, 0.5);
  else if (GTK_IS_BUTTON (widget))
    gtk_button_set_alignment (GTK_BUTTON (widget), 0.0, 0.5);
}

/* GTK 2 draws its own stock images for these names; icon themes need not
 * have them. */
static const char *
stock_id (const char *icon_name)
{
  static const char *const map[][2] = {
    { "list-add", GTK_STOCK_ADD }, { "list-remove", GTK_STOCK_REMOVE },
    { "process-stop", GTK_STOCK_STOP }, { "dialog-warning", GTK_STOCK_DIALOG_WARNING },
  };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (map[i][0], icon_name))
      return map[i][1];
  return NULL;
}

GtkWidget *
se_ui_icon_new (const char *icon_name, GtkIconSize size)
{
  const char *stock = stock_id (icon_name);
  return stock ? gtk_image_new_from_stock (stock, size) : gtk_image_new_from_icon_name (icon_name, size);
}

void
se_ui_button_set_icon (GtkButton *button, const char *icon_name, GtkIconSize size)
{
  gtk_button_set_image (button, se_ui_icon_new (icon_name, size));
}

/* GTK 2 entries have no placeholder: the hint is drawn into the empty,
 * unfocused entry's text area, in the insensitive text colour. */
static gboolean
draw_placeholder (GtkWidget *entry, GdkEventExpose *event, const char *text)
{
  GdkWindow *text_area = GTK_ENTRY (entry)->text_area;
  if (event->window != text_area || gtk_widget_has_focus (entry) || *gtk_entry_get_text (GTK_ENTRY (entry)))
    return FALSE;
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (entry, text);
  int w, h, text_h;
  gdk_drawable_get_size (text_area, &w, &h);
  pango_layout_get_pixel_size (layout, NULL, &text_h);
  GtkStyle *style = gtk_widget_get_style (entry);
  gdk_draw_layout (text_area, style->text_gc[GTK_STATE_INSENSITIVE], 2, (h - text_h) / 2, layout);
  return FALSE;
}

void
se_ui_entry_set_placeholder (GtkEntry *entry, const char *text)
{
  g_signal_connect_data (entry, "expose-event", G_CALLBACK (draw_placeholder), g_strdup (text),
                         (GClosureNotify) (void (*) (void)) g_free, G_CONNECT_AFTER);
}

void
se_ui_scrolled_add (GtkScrolledWindow *scrolled, GtkWidget *child)
{
  gtk_scrolled_window_add_with_viewport (scrolled, child);
  gtk_viewport_set_shadow_type (GTK_VIEWPORT (gtk_bin_get_child (GTK_BIN (scrolled))), GTK_SHADOW_NONE);
}

GtkWidget *
se_ui_progress_bar_new (void)
{
  return gtk_progress_bar_new ();
}

void
se_ui_menu_popup_below (GtkMenu *menu, GtkWidget *widget)
{
  gtk_menu_popup (menu, NULL, NULL, NULL, NULL, 1, gtk_get_current_event_time ());
}

GtkWidget *
se_ui_file_chooser_new (const char *title, GtkWindow *parent, GtkFileChooserAction action)
{
  return gtk_file_chooser_dialog_new (title, parent, action, GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL,
                                      GTK_STOCK_OPEN, GTK_RESPONSE_ACCEPT, NULL);
}

typedef struct {
  SeUiPaint paint;
  gpointer data;
} Painter;

static gboolean
on_expose (GtkWidget *widget, GdkEventExpose *event, Painter *p)
{
  cairo_t *cr = gdk_cairo_create (gtk_widget_get_window (widget));
  gdk_cairo_region (cr, event->region);
  cairo_clip (cr);
  p->paint (widget, cr, p->data);
  cairo_destroy (cr);
  return TRUE;
}

void
se_ui_connect_paint (GtkWidget *widget, SeUiPaint paint, gpointer data)
{
  Painter *p = g_new (Painter, 1);
  *p = (Painter) { paint, data };
  g_signal_connect_data (widget, "expose-event", G_CALLBACK (on_expose), p,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
}

/* A GtkTable: label in column 0, GIMP's scale entries take columns 0-2
 * (label, slider, spin button), other rows' widgets span 1 to the end. */
GtkWidget *
se_ui_form_new (gint column_spacing, gint row_spacing)
{
  GtkWidget *table = gtk_table_new (1, 2, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), (guint) column_spacing);
  gtk_table_set_row_spacings (GTK_TABLE (table), (guint) row_spacing);
  return table;
}

void
se_ui_form_attach (GtkWidget *form, guint row, GtkWidget *label, GtkWidget *widget, gboolean expand)
{
  guint columns = 2;
  g_object_get (form, "n-columns", &columns, NULL);
  gtk_table_attach (GTK_TABLE (form), label, 0, 1, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  GtkAttachOptions grow = GTK_FILL | (expand ? GTK_EXPAND : 0);
  gtk_table_attach (GTK_TABLE (form), widget, 1, MAX (columns, 2u), row, row + 1, grow, grow, 0, 0);
}

GtkAdjustment *
se_ui_scale_entry_new (GtkWidget *form, guint row, const char *label, double value, double lo, double hi,
                       double step, double page, guint digits, double spin_lo, double spin_hi, const char *tooltip)
{
  gboolean constrained = spin_lo == spin_hi;
  return GTK_ADJUSTMENT (gimp_scale_entry_new (GTK_TABLE (form), 0, (gint) row, label, 140, 5, value, lo, hi, step,
                                               page, digits, constrained, spin_lo, spin_hi, tooltip, NULL));
}

void
se_ui_scale_entry_set_sensitive (GtkAdjustment *adjustment, gboolean sensitive)
{
  gimp_scale_entry_set_sensitive (GTK_OBJECT (adjustment), sensitive);
}
