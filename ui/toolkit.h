/* toolkit.h: the calls where GTK 2 (GIMP 2.10) and GTK 3 (GIMP 3) differ,
 * for the dialog.  toolkit-gtk2.c and toolkit-gtk3.c implement them and
 * the build links the one of the GIMP it targets; the rest of ui/ is the
 * same code for both toolkits. */
#pragma once

#include "gimp-widgets.h"

G_BEGIN_DECLS

/* A box laid out in one direction. */
GtkWidget     *se_ui_box_new (GtkOrientation orientation, gint spacing);
/* A label (or a button's content) at the start of its space. */
void           se_ui_align_start (GtkWidget *widget);
/* A freedesktop icon name ("list-add", "list-remove", "process-stop",
 * "dialog-warning") as an image. */
GtkWidget     *se_ui_icon_new (const char *icon_name, GtkIconSize size);
/* A button with an icon beside its label, shown whatever the settings say. */
void           se_ui_button_set_icon (GtkButton *button, const char *icon_name, GtkIconSize size);
/* The grey hint an empty, unfocused entry shows. */
void           se_ui_entry_set_placeholder (GtkEntry *entry, const char *text);
/* child in a scrolled window, without a frame of its own around it. */
void           se_ui_scrolled_add (GtkScrolledWindow *scrolled, GtkWidget *child);
/* A progress bar that shows its text. */
GtkWidget     *se_ui_progress_bar_new (void);
/* menu, dropped below widget (GTK 2: at the pointer, which is over it). */
void           se_ui_menu_popup_below (GtkMenu *menu, GtkWidget *widget);
/* A dialog choosing a file or a folder (action), with Cancel and Open. */
GtkWidget     *se_ui_file_chooser_new (const char *title, GtkWindow *parent, GtkFileChooserAction action);

/* Paints a widget with cairo (GTK 3's draw, GTK 2's expose-event). */
typedef void (*SeUiPaint) (GtkWidget *widget, cairo_t *cr, gpointer data);
void           se_ui_connect_paint (GtkWidget *widget, SeUiPaint paint, gpointer data);

/* A form: rows of a label and what it names.  Labels line up in the first
 * column, whatever the row holds. */
GtkWidget     *se_ui_form_new (gint column_spacing, gint row_spacing);
/* Row `row`: label and widget, filling the rest of the row (expand: and
 * taking the form's spare room). */
void           se_ui_form_attach (GtkWidget *form, guint row, GtkWidget *label, GtkWidget *widget, gboolean expand);
/* Row `row`: GIMP's slider with a spin button.  The slider spans lo..hi;
 * the spin button spin_lo..spin_hi (equal: lo..hi as well).  Returns the
 * adjustment that holds its value (the dialog reads, sets and watches it). */
GtkAdjustment *se_ui_scale_entry_new (GtkWidget *form, guint row, const char *label, double value, double lo,
                                      double hi, double step, double page, guint digits, double spin_lo,
                                      double spin_hi, const char *tooltip);
/* The whole row of a scale entry on or off, its label included. */
void           se_ui_scale_entry_set_sensitive (GtkAdjustment *adjustment, gboolean sensitive);

G_END_DECLS
