/* concept-row.c: one concept's controls (concept-row.h). */
#include "concept-row.h"

#include <glib/gi18n-lib.h>
#include "toolkit.h"
#include <math.h>

/* SEGA scales beyond about 20 rarely help; the spin button takes up to 100 */
#define STRENGTH_RANGE 20.0

struct _SeConceptRow {
  GtkWidget *box, *swatch, *entry, *direction, *remove;
  GtkAdjustment *strength, *threshold;
  gint cooldown;                /* kept from the initial concept */
  double weight;
};

static void
show_direction (SeConceptRow *row)
{
  double v = gtk_adjustment_get_value (row->strength);
  gtk_label_set_text (GTK_LABEL (row->direction),
                      v > 0 ? _("adds") : v < 0 ? _("removes") : _("off"));
}

static void
on_destroy (GtkWidget *w, SeConceptRow *row)
{
  g_free (row);
}

SeConceptRow *
se_concept_row_new (const SeConcept *c, GCallback changed, GCallback remove, gpointer data)
{
  SeConceptRow *row = g_new0 (SeConceptRow, 1);
  row->cooldown = c->cooldown;
  row->weight = c->weight;
  row->box = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 2);

  GtkWidget *head = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  row->swatch = gtk_image_new ();
  gimp_help_set_help_data (row->swatch, _("The colour of this concept's mask on the preview"), NULL);
  gtk_box_pack_start (GTK_BOX (head), row->swatch, FALSE, FALSE, 0);
  row->entry = gtk_entry_new ();
  gtk_entry_set_text (GTK_ENTRY (row->entry), c->prompt);
  gimp_help_set_help_data (row->entry, _("What to add or remove, in a few words "
                                         "(\"glasses\", \"snow\", \"clutter\")"), NULL);
  se_ui_entry_set_placeholder (GTK_ENTRY (row->entry), _("e.g. glasses, snow, clutter"));
  gtk_box_pack_start (GTK_BOX (head), row->entry, TRUE, TRUE, 0);
  row->direction = gtk_label_new (NULL);
  gtk_label_set_width_chars (GTK_LABEL (row->direction), 8);
  gtk_box_pack_start (GTK_BOX (head), row->direction, FALSE, FALSE, 0);
  row->remove = gtk_button_new ();
  gtk_container_add (GTK_CONTAINER (row->remove), se_ui_icon_new ("list-remove", GTK_ICON_SIZE_MENU));
  gimp_help_set_help_data (row->remove, _("Remove this concept"), NULL);
  gtk_box_pack_start (GTK_BOX (head), row->remove, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (row->box), head, FALSE, FALSE, 0);

  GtkWidget *table = se_ui_form_new (4, 2);
  double strength = c->reverse ? -c->scale : c->scale;
  row->strength = se_ui_scale_entry_new (
      table, 0, _("_Strength:"), strength, -STRENGTH_RANGE, STRENGTH_RANGE, 0.5, 2.0, 1, -100.0, 100.0,
      _("How strongly to steer towards the concept (positive) or away from it (negative) (scale)"));
  row->threshold = se_ui_scale_entry_new (
      table, 1, _("_Focus:"), c->threshold, 0.0, 1.0, 0.01, 0.05, 2, 0, 0,
      _("How much of the picture the concept may touch: higher focuses it on fewer pixels (threshold: the "
        "share it may not touch)"));
  gtk_box_pack_start (GTK_BOX (row->box), table, FALSE, FALSE, 0);
  gtk_widget_show_all (row->box);
  gtk_widget_hide (row->swatch);
  gtk_widget_set_no_show_all (row->swatch, TRUE);

  show_direction (row);
  g_signal_connect_swapped (row->strength, "value-changed", G_CALLBACK (show_direction), row);
  g_signal_connect_swapped (row->entry, "changed", changed, data);
  g_signal_connect_swapped (row->strength, "value-changed", changed, data);
  g_signal_connect_swapped (row->threshold, "value-changed", changed, data);
  g_signal_connect (row->remove, "clicked", remove, data);
  g_object_set_data (G_OBJECT (row->remove), "se-concept-row", row);
  g_signal_connect (row->box, "destroy", G_CALLBACK (on_destroy), row);
  return row;
}

GtkWidget *se_concept_row_widget (SeConceptRow *row) { return row->box; }
GtkEntry *se_concept_row_entry (SeConceptRow *row) { return GTK_ENTRY (row->entry); }
GtkAdjustment *se_concept_row_strength (SeConceptRow *row) { return row->strength; }
GtkAdjustment *se_concept_row_threshold (SeConceptRow *row) { return row->threshold; }
GtkButton *se_concept_row_remove_button (SeConceptRow *row) { return GTK_BUTTON (row->remove); }

void
se_concept_row_add_to (const SeConceptRow *row, SeRecipe *r, guint warmup)
{
  double v = gtk_adjustment_get_value (row->strength);
  g_autofree char *prompt = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (row->entry))));
  if (*prompt == '\0' || v == 0.0)
    return;     /* an empty or switched-off row is not part of the edit */
  SeConcept *c = se_recipe_add_concept (r, prompt);
  c->scale = fabs (v);
  c->reverse = v < 0;
  c->threshold = gtk_adjustment_get_value (row->threshold);
  c->warmup = MIN (warmup, r->steps);
  c->cooldown = row->cooldown;
  c->weight = row->weight;
}

void
se_concept_row_set_swatch (SeConceptRow *row, const guint8 *rgb)
{
  if (rgb == NULL) {
    gtk_widget_hide (row->swatch);
    return;
  }
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 14, 14);
  gdk_pixbuf_fill (pb, ((guint32) rgb[0] << 24) | ((guint32) rgb[1] << 16) | ((guint32) rgb[2] << 8) | 0xff);
  gtk_image_set_from_pixbuf (GTK_IMAGE (row->swatch), pb);
  gtk_widget_show (row->swatch);
}
