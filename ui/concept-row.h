/* concept-row.h: one SEGA concept in the dialog: its text, a signed strength
 * (positive adds the concept, negative removes it, the direction spelled out
 * beside it), its threshold, and a button that removes the row. */
#pragma once

#include <gtk/gtk.h>

#include "ledits/recipe.h"

G_BEGIN_DECLS

typedef struct _SeConceptRow SeConceptRow;

/* changed (data) on every edit; remove (row, data) when the remove button is
 * pressed.  The row is freed with its widget. */
SeConceptRow *se_concept_row_new (const SeConcept *initial, GCallback changed, GCallback remove,
                                  gpointer data);
GtkWidget    *se_concept_row_widget (SeConceptRow *row);
/* Appends the row's concept to r; warmup comes from the dialog. */
void          se_concept_row_add_to (const SeConceptRow *row, SeRecipe *r, guint warmup);

/* Shows the colour of the concept's mask before its text (NULL: none). */
void          se_concept_row_set_swatch (SeConceptRow *row, const guint8 *rgb);

/* Its parts, for keyboard focus and tests. */
GtkEntry      *se_concept_row_entry (SeConceptRow *row);
GtkAdjustment *se_concept_row_strength (SeConceptRow *row);
GtkAdjustment *se_concept_row_threshold (SeConceptRow *row);
GtkButton     *se_concept_row_remove_button (SeConceptRow *row);

G_END_DECLS
