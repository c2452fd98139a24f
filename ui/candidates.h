/* candidates.h: a row of thumbnails, one per candidate; clicking one
 * selects it.  Hidden while there is only one. */
#pragma once

#include <gtk/gtk.h>

#include "engine.h"

G_BEGIN_DECLS

typedef struct _SeCandidates SeCandidates;
typedef void (*SeCandidateSelected) (guint index, gpointer data);

/* visible_x, visible_y, aspect: as se_preview_pixbuf takes them. */
SeCandidates *se_candidates_new (double visible_x, double visible_y, double aspect, SeCandidateSelected selected,
                                 gpointer data);
GtkWidget    *se_candidates_widget (SeCandidates *c);
/* Shows the images, captioned with their number and seed (first_seed for
 * the first), keeping the selection when it still exists. */
void          se_candidates_set (SeCandidates *c, const SeImage *images, guint count, guint32 first_seed);
guint         se_candidates_selected (const SeCandidates *c);
guint         se_candidates_count (const SeCandidates *c);
/* The thumbnail's button (tests click it). */
GtkButton    *se_candidates_button (SeCandidates *c, guint index);

G_END_DECLS
