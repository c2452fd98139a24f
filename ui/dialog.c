/* dialog.c: the Semantic Edit dialog's layout, values and run (dialog.h);
 * the live preview's jobs are in dialog-jobs.c. */
#include <glib/gi18n-lib.h>
#include <string.h>

#include "dialog-private.h"

#define MAX_CANDIDATES 8
/* the preview: long side in pixels and steps (the tests shrink them) */
#define PREVIEW_SIDE 256
#define PREVIEW_STEPS 12
#define DEBOUNCE_MS 300

void
se_dialog_values_clear (SeDialogValues *v)
{
  g_clear_pointer (&v->model, g_free);
  g_clear_pointer (&v->recipe, se_recipe_free);
}

static char *readme_path;

void
se_dialog_set_readme (const char *path)
{
  g_free (readme_path);
  readme_path = g_strdup (path);
}

static guint
env_uint (const char *name, guint fallback, guint lo, guint hi)
{
  const char *s = g_getenv (name);
  guint64 v = s ? g_ascii_strtoull (s, NULL, 10) : 0;
  return v >= lo && v <= hi ? (guint) v : fallback;
}

const char *
se_dialog_model_path (SeDialog *d)
{
  static char *stripped;    /* main thread only */
  g_free (stripped);
  stripped = g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (d->model_entry))));
  return stripped;
}

static char *
entry_text (GtkWidget *entry)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (GTK_ENTRY (entry))));
}

static SeMethod
method_chosen (SeDialog *d)
{
  return gtk_combo_box_get_active (GTK_COMBO_BOX (d->method)) == 1 ? SE_METHOD_LEDITS_PP : SE_METHOD_LEDITS;
}

SeRecipe *
se_dialog_recipe (SeDialog *d)
{
  SeRecipe *r = se_recipe_new_for (method_chosen (d));
  gboolean pp = r->method == SE_METHOD_LEDITS_PP;
  r->masks = (SeMaskMode) MAX (gtk_combo_box_get_active (GTK_COMBO_BOX (d->masks_kind)), 0);
  r->steps = (guint) gtk_adjustment_get_value (d->steps);
  r->skip = MIN ((guint) gtk_adjustment_get_value (d->skip), r->steps - 1);
  g_free (r->src);
  r->src = entry_text (d->src_entry);
  g_free (r->tar);
  r->tar = pp ? g_strdup ("") : entry_text (d->tar_entry);     /* LEDITS++ has no target prompt */
  r->cfg_src = gtk_adjustment_get_value (d->cfg_src);
  r->cfg_tar = gtk_adjustment_get_value (d->cfg_tar);
  r->mom_scale = gtk_adjustment_get_value (d->mom_scale);
  r->mom_beta = gtk_adjustment_get_value (d->mom_beta);
  r->detail = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->detail));
  guint warmup = (guint) gtk_adjustment_get_value (d->warmup);
  for (guint i = 0; i < d->rows->len; i++)
    se_concept_row_add_to (d->rows->pdata[i], r, warmup);
  return r;
}

void
se_dialog_show_message (SeDialog *d, const char *message, gboolean model_hint)
{
  gtk_label_set_text (GTK_LABEL (d->message_label), message);
  gtk_widget_set_visible (d->model_hint, model_hint);
  gtk_widget_show (d->message_box);
}

void
se_dialog_hide_message (SeDialog *d)
{
  gtk_widget_hide (d->message_box);
}

static void
on_changed (SeDialog *d)
{
  se_dialog_request_preview (d, DEBOUNCE_MS);
}

void
se_dialog_update_ok (SeDialog *d)
{
  const char *model = se_dialog_model_path (d);
  gboolean loaded = *model && g_strcmp0 (d->loaded_model, model) == 0;
  gtk_widget_set_sensitive (d->ok, loaded && !d->applying);
  gimp_help_set_help_data (d->ok, loaded ? NULL
                                         : *model ? _("Available once the model has loaded (the bar under the "
                                                      "preview shows how far it is)")
                                                  : _("Available once a model is chosen and has loaded"),
                           NULL);
}

/* A new model path: OK waits for it to load; with live preview off it is
 * loaded all the same. */
static void
on_model_changed (SeDialog *d)
{
  se_dialog_update_ok (d);
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)))
    on_changed (d);
  else
    se_dialog_request_load (d, DEBOUNCE_MS);
}

/* ---- concepts ---- */

static void on_remove_concept (GtkButton *button, SeDialog *d);
static void color_rows (SeDialog *d);

static SeConceptRow *
add_row (SeDialog *d, const SeConcept *c)
{
  SeConceptRow *row = se_concept_row_new (c, G_CALLBACK (on_changed), G_CALLBACK (on_remove_concept), d);
  gtk_box_pack_start (GTK_BOX (d->concepts_box), se_concept_row_widget (row), FALSE, FALSE, 0);
  g_ptr_array_add (d->rows, row);
  color_rows (d);
  return row;
}

/* With LEDITS++ each row shows its mask's colour (by its place). */
static void
color_rows (SeDialog *d)
{
  gboolean pp = method_chosen (d) == SE_METHOD_LEDITS_PP;
  for (guint i = 0; i < d->rows->len; i++) {
    guint8 rgb[3];
    se_preview_mask_color (i, rgb);
    se_concept_row_set_swatch (d->rows->pdata[i], pp ? rgb : NULL);
  }
}

static void
on_remove_concept (GtkButton *button, SeDialog *d)
{
  SeConceptRow *row = g_object_get_data (G_OBJECT (button), "se-concept-row");
  g_ptr_array_remove (d->rows, row);
  gtk_widget_destroy (se_concept_row_widget (row));
  color_rows (d);
  on_changed (d);
}

static void
on_add_concept (SeDialog *d)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method_chosen (d));
  SeConceptRow *row = add_row (d, se_recipe_add_concept (defaults, ""));
  gtk_widget_grab_focus (GTK_WIDGET (se_concept_row_entry (row)));
  /* an empty concept changes nothing: the preview waits for its text */
}

/* ---- values ---- */

/* The method's default warm-up for its concepts. */
static guint
default_warmup (SeMethod method)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method);
  return se_recipe_add_concept (defaults, "")->warmup;
}

/* What applies to the method shown: LEDITS++ has no target prompt and no
 * momentum, LEDITS no masks. */
static void
method_sensitivity (SeDialog *d)
{
  gboolean pp = method_chosen (d) == SE_METHOD_LEDITS_PP;
  gtk_widget_set_sensitive (d->tar_entry, !pp);
  gtk_widget_set_sensitive (d->masks_kind, pp);
  gimp_scale_entry_set_sensitive (GTK_OBJECT (d->cfg_tar), !pp);
  gimp_scale_entry_set_sensitive (GTK_OBJECT (d->mom_scale), !pp);
  gimp_scale_entry_set_sensitive (GTK_OBJECT (d->mom_beta), !pp);
  gtk_widget_set_sensitive (GTK_WIDGET (se_preview_masks_toggle (d->preview)), pp);
  color_rows (d);
}

static void
set_advanced (SeDialog *d, const SeRecipe *r)
{
  d->method_shown = r->method;
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->method), r->method == SE_METHOD_LEDITS_PP ? 1 : 0);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->masks_kind), (gint) r->masks);
  method_sensitivity (d);
  gtk_adjustment_set_value (d->steps, r->steps);
  gtk_adjustment_set_value (d->skip, r->skip);
  gtk_adjustment_set_value (d->cfg_src, r->cfg_src);
  gtk_adjustment_set_value (d->cfg_tar, r->cfg_tar);
  gtk_adjustment_set_value (d->warmup, r->concepts->len ? g_array_index (r->concepts, SeConcept, 0).warmup
                                                        : default_warmup (r->method));
  gtk_adjustment_set_value (d->mom_scale, r->mom_scale);
  gtk_adjustment_set_value (d->mom_beta, r->mom_beta);
}

static void
set_values (SeDialog *d, const SeDialogValues *v)
{
  d->setting = TRUE;
  gtk_entry_set_text (GTK_ENTRY (d->model_entry), v->model ? v->model : "");
  const SeRecipe *r = v->recipe;
  gtk_entry_set_text (GTK_ENTRY (d->src_entry), r->src);
  gtk_entry_set_text (GTK_ENTRY (d->tar_entry), r->tar);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->detail), r->detail);
  set_advanced (d, r);
  while (d->rows->len)
    gtk_widget_destroy (se_concept_row_widget (g_ptr_array_steal_index (d->rows, d->rows->len - 1)));
  for (guint i = 0; i < r->concepts->len; i++)
    add_row (d, &g_array_index (r->concepts, SeConcept, i));
  gtk_adjustment_set_value (d->seed, v->seed);
  gtk_adjustment_set_value (d->count, CLAMP (v->candidates, 1, MAX_CANDIDATES));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->live), v->live_preview);
  d->setting = FALSE;
}

/* A new method: the step counts and warm-up that are still the old
 * method's defaults become the new one's. */
static void
on_method_changed (SeDialog *d)
{
  SeMethod now = method_chosen (d);
  if (d->setting || now == d->method_shown)
    return;
  g_autoptr (SeRecipe) old = se_recipe_new_for (d->method_shown);
  g_autoptr (SeRecipe) fresh = se_recipe_new_for (now);
  d->setting = TRUE;
  if ((guint) gtk_adjustment_get_value (d->steps) == old->steps &&
      (guint) gtk_adjustment_get_value (d->skip) == old->skip) {
    gtk_adjustment_set_value (d->steps, fresh->steps);
    gtk_adjustment_set_value (d->skip, fresh->skip);
  }
  if ((guint) gtk_adjustment_get_value (d->warmup) == default_warmup (d->method_shown))
    gtk_adjustment_set_value (d->warmup, default_warmup (now));
  d->setting = FALSE;
  d->method_shown = now;
  method_sensitivity (d);
  on_changed (d);
}

static void
on_reset_advanced (SeDialog *d)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method_chosen (d));
  d->setting = TRUE;
  set_advanced (d, defaults);
  d->setting = FALSE;
  on_changed (d);
}

/* ---- the model chooser ---- */

static void
choose_model (SeDialog *d, GtkFileChooserAction action)
{
  gboolean folder = action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
  GtkWidget *chooser = gtk_file_chooser_dialog_new (
      folder ? _("Choose a diffusers model folder") : _("Choose a Stable Diffusion checkpoint"),
      GTK_WINDOW (d->window), action, GTK_STOCK_CANCEL, GTK_RESPONSE_CANCEL, GTK_STOCK_OPEN,
      GTK_RESPONSE_ACCEPT, NULL);
  if (!folder) {
    GtkFileFilter *f = gtk_file_filter_new ();
    gtk_file_filter_set_name (f, _("Safetensors checkpoints"));
    gtk_file_filter_add_pattern (f, "*.safetensors");
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f);
  }
  const char *current = se_dialog_model_path (d);
  if (*current)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (chooser), current);
  if (gtk_dialog_run (GTK_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT) {
    g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
    gtk_entry_set_text (GTK_ENTRY (d->model_entry), path);
  }
  gtk_widget_destroy (chooser);
}

static void on_choose_file (SeDialog *d) { choose_model (d, GTK_FILE_CHOOSER_ACTION_OPEN); }
static void on_choose_folder (SeDialog *d) { choose_model (d, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER); }

/* ---- layout ---- */

static GtkWidget *
mnemonic_label (const char *text, GtkWidget *target)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (text);
  gtk_misc_set_alignment (GTK_MISC (l), 0.0, 0.5);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), target);
  return l;
}

/* A two-column form: labels on the left, their widgets filling the right. */
static GtkWidget *
form_new (guint rows)
{
  GtkWidget *table = gtk_table_new (rows, 2, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 4);
  return table;
}

/* Row `row` of a form: label (its mnemonic focusing target) and widget. */
static void
form_row (GtkWidget *table, guint row, const char *label, GtkWidget *target, GtkWidget *widget)
{
  gtk_table_attach (GTK_TABLE (table), mnemonic_label (label, target), 0, 1, row, row + 1,
                    GTK_FILL, GTK_FILL, 0, 0);
  gtk_table_attach_defaults (GTK_TABLE (table), widget, 1, 2, row, row + 1);
}

static GtkWidget *
model_section (SeDialog *d)
{
  GtkWidget *vbox = gtk_vbox_new (FALSE, 4);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 4);
  d->model_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->model_entry, _("A Stable Diffusion 1.x model: a diffusers folder "
                                             "or a single .safetensors checkpoint"), NULL);
  gtk_box_pack_start (GTK_BOX (hbox), mnemonic_label (_("_Model:"), d->model_entry), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->model_entry, TRUE, TRUE, 0);
  GtkWidget *file = gtk_button_new_with_mnemonic (_("_File…"));
  gimp_help_set_help_data (file, _("Choose a single-file checkpoint (.safetensors)"), NULL);
  g_signal_connect_swapped (file, "clicked", G_CALLBACK (on_choose_file), d);
  gtk_box_pack_start (GTK_BOX (hbox), file, FALSE, FALSE, 0);
  GtkWidget *folder = gtk_button_new_with_mnemonic (_("Fo_lder…"));
  gimp_help_set_help_data (folder, _("Choose a diffusers model folder"), NULL);
  g_signal_connect_swapped (folder, "clicked", G_CALLBACK (on_choose_folder), d);
  gtk_box_pack_start (GTK_BOX (hbox), folder, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);

  /* problems with the model or the values, and where to read about models */
  d->message_box = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (d->message_box),
                      gtk_image_new_from_stock (GTK_STOCK_DIALOG_WARNING, GTK_ICON_SIZE_BUTTON),
                      FALSE, FALSE, 0);
  GtkWidget *texts = gtk_vbox_new (FALSE, 0);
  d->message_label = gtk_label_new (NULL);
  gtk_label_set_line_wrap (GTK_LABEL (d->message_label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (d->message_label), TRUE);
  gtk_misc_set_alignment (GTK_MISC (d->message_label), 0.0, 0.5);
  gtk_widget_set_size_request (d->message_label, 360, -1);
  gtk_box_pack_start (GTK_BOX (texts), d->message_label, FALSE, FALSE, 0);
  g_autofree char *readme = g_filename_to_uri (readme_path ? readme_path : SE_DOCDIR "/README.md", NULL, NULL);
  d->model_hint = gtk_link_button_new_with_label (readme ? readme : "",
                                                  _("Where to get model weights (README, \"Model weights\")"));
  gtk_button_set_alignment (GTK_BUTTON (d->model_hint), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (texts), d->model_hint, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->message_box), texts, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), d->message_box, FALSE, FALSE, 0);
  gtk_widget_show_all (vbox);
  gtk_widget_hide (d->message_box);
  gtk_widget_set_no_show_all (d->message_box, TRUE);
  g_signal_connect_swapped (d->model_entry, "changed", G_CALLBACK (on_model_changed), d);
  return vbox;
}

static GtkWidget *
prompt_section (SeDialog *d)
{
  GtkWidget *table = form_new (3);
  d->method = gtk_combo_box_new_text ();
  gtk_combo_box_append_text (GTK_COMBO_BOX (d->method), _("LEDITS: guided by concepts and a target prompt"));
  gtk_combo_box_append_text (GTK_COMBO_BOX (d->method), _("LEDITS++: each concept confined to where it belongs"));
  gimp_help_set_help_data (d->method, _("LEDITS edits the whole region towards the target prompt and the "
                                        "concepts. LEDITS++ finds where each concept belongs (its mask) and "
                                        "changes only there, in fewer steps"), NULL);
  form_row (table, 0, _("Met_hod:"), d->method, d->method);
  g_signal_connect_swapped (d->method, "changed", G_CALLBACK (on_method_changed), d);
  d->src_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->src_entry, _("What the region shows now (optional), e.g. "
                                           "\"a photo of a man\""), NULL);
  d->tar_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->tar_entry, _("What the region should show (optional), e.g. "
                                           "\"a photo of a man in winter\""), NULL);
  form_row (table, 1, _("_Source prompt:"), d->src_entry, d->src_entry);
  form_row (table, 2, _("_Target prompt:"), d->tar_entry, d->tar_entry);
  g_signal_connect_swapped (d->src_entry, "changed", G_CALLBACK (on_changed), d);
  g_signal_connect_swapped (d->tar_entry, "changed", G_CALLBACK (on_changed), d);
  return table;
}

static GtkWidget *
concepts_section (SeDialog *d)
{
  GtkWidget *frame = gimp_frame_new (_("Concepts"));
  GtkWidget *vbox = gtk_vbox_new (FALSE, 6);
  gtk_container_add (GTK_CONTAINER (frame), vbox);
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scrolled, -1, 200);
  d->concepts_box = gtk_vbox_new (FALSE, 8);
  gtk_scrolled_window_add_with_viewport (GTK_SCROLLED_WINDOW (scrolled), d->concepts_box);
  gtk_viewport_set_shadow_type (GTK_VIEWPORT (gtk_bin_get_child (GTK_BIN (scrolled))), GTK_SHADOW_NONE);
  gtk_box_pack_start (GTK_BOX (vbox), scrolled, TRUE, TRUE, 0);
  d->add_concept = gtk_button_new_with_mnemonic (_("_Add concept"));
  gtk_button_set_image (GTK_BUTTON (d->add_concept),
                        gtk_image_new_from_stock (GTK_STOCK_ADD, GTK_ICON_SIZE_BUTTON));
  gimp_help_set_help_data (d->add_concept, _("Add a concept to steer the edit towards or away from"), NULL);
  g_signal_connect_swapped (d->add_concept, "clicked", G_CALLBACK (on_add_concept), d);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->add_concept, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  return frame;
}

static GtkAdjustment *
scale (SeDialog *d, GtkWidget *table, guint row, const char *label, double lo, double hi,
       double step, guint digits, const char *tooltip)
{
  GtkAdjustment *a = GTK_ADJUSTMENT (gimp_scale_entry_new (GTK_TABLE (table), 0, (gint) row, label,
                                                           140, 5, lo, lo, hi, step, step * 5,
                                                           digits, TRUE, 0, 0, tooltip, NULL));
  g_signal_connect_swapped (a, "value-changed", G_CALLBACK (on_changed), d);
  return a;
}

static GtkWidget *
advanced_section (SeDialog *d)
{
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_("Ad_vanced"));
  GtkWidget *vbox = gtk_vbox_new (FALSE, 4);
  gtk_container_add (GTK_CONTAINER (expander), vbox);
  GtkWidget *table = gtk_table_new (8, 3, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 4);
  gtk_table_set_row_spacings (GTK_TABLE (table), 2);
  d->steps = scale (d, table, 0, _("Ste_ps:"), 2, 200, 1, 0,
                    _("Diffusion steps of the final edit (the preview uses fewer)"));
  d->skip = scale (d, table, 1, _("S_kip:"), 0, 199, 1, 0,
                   _("Leading steps left unedited: more keeps the result closer to the photo"));
  d->cfg_src = scale (d, table, 2, _("So_urce guidance:"), 1, 15, 0.5, 1,
                      _("How closely the inversion follows the source prompt"));
  d->cfg_tar = scale (d, table, 3, _("Target gu_idance:"), 1, 20, 0.5, 1,
                      _("How strongly the edit follows the target prompt"));
  d->warmup = scale (d, table, 4, _("_Warm-up:"), 0, 50, 1, 0,
                     _("Edit steps before the concepts start to act"));
  d->mom_scale = scale (d, table, 5, _("Mome_ntum:"), 0, 1, 0.05, 2,
                        _("How much of the earlier concept guidance carries over between steps"));
  d->mom_beta = scale (d, table, 6, _("Momentum deca_y:"), 0, 1, 0.05, 2,
                       _("How quickly the carried-over guidance fades"));
  d->masks_kind = gtk_combo_box_new_text ();
  gtk_combo_box_append_text (GTK_COMBO_BOX (d->masks_kind), _("Attention and noise (intersection)"));
  gtk_combo_box_append_text (GTK_COMBO_BOX (d->masks_kind), _("Attention only"));
  gtk_combo_box_append_text (GTK_COMBO_BOX (d->masks_kind), _("Noise only"));
  gimp_help_set_help_data (d->masks_kind, _("LEDITS++: how a concept's mask is found: where the model attends to "
                                            "the concept's words, where its guidance is strongest, or both"), NULL);
  g_signal_connect_swapped (d->masks_kind, "changed", G_CALLBACK (on_changed), d);
  gtk_table_attach (GTK_TABLE (table), mnemonic_label (_("Masks:"), d->masks_kind), 0, 1, 7, 8, GTK_FILL, GTK_FILL,
                    0, 0);
  gtk_table_attach (GTK_TABLE (table), d->masks_kind, 1, 3, 7, 8, GTK_FILL, GTK_FILL, 0, 0);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);
  GtkWidget *reset = gtk_button_new_with_mnemonic (_("Reset to de_faults"));
  g_signal_connect_swapped (reset, "clicked", G_CALLBACK (on_reset_advanced), d);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 0);
  gtk_box_pack_end (GTK_BOX (hbox), reset, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  return expander;
}

static GtkWidget *
seed_section (SeDialog *d)
{
  GtkWidget *table = form_new (2);
  GtkWidget *seed = gimp_random_seed_new (&d->seed_value, &d->seed_random);
  GtkWidget *spin = GIMP_RANDOM_SEED_SPINBUTTON (seed);
  gtk_widget_hide (GIMP_RANDOM_SEED_TOGGLE (seed));
  gtk_widget_set_no_show_all (GIMP_RANDOM_SEED_TOGGLE (seed), TRUE);
  /* its "_New Seed" button would share Alt+N with the concepts' Strength,
   * the control a retoucher reaches for most: the button gives it up */
  GList *parts = gtk_container_get_children (GTK_CONTAINER (seed));
  for (GList *l = parts; l; l = l->next)
    if (GTK_IS_BUTTON (l->data) && !GTK_IS_TOGGLE_BUTTON (l->data))
      gtk_button_set_use_underline (GTK_BUTTON (l->data), FALSE);
  g_list_free (parts);
  d->seed = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (spin));
  gimp_help_set_help_data (spin, _("The inversion's noise: another seed gives another result"), NULL);
  g_signal_connect_swapped (d->seed, "value-changed", G_CALLBACK (on_changed), d);
  form_row (table, 0, _("See_d:"), spin, seed);

  d->count = GTK_ADJUSTMENT (gtk_adjustment_new (1, 1, MAX_CANDIDATES, 1, 2, 0));
  GtkWidget *count = gtk_spin_button_new (d->count, 1, 0);
  gimp_help_set_help_data (count, _("How many candidates Generate makes, with seeds counting up "
                                    "from the seed"), NULL);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (hbox), count, FALSE, FALSE, 0);
  d->generate = gtk_button_new_with_mnemonic (_("_Generate"));
  gimp_help_set_help_data (d->generate, _("Preview this many candidates to choose from"), NULL);
  gtk_box_pack_start (GTK_BOX (hbox), d->generate, FALSE, FALSE, 0);
  form_row (table, 1, _("Cand_idates:"), count, hbox);
  return table;
}

static void
on_generate (SeDialog *d)
{
  d->held = (guint) gtk_adjustment_get_value (d->count);
  se_dialog_start_preview (d);
}

static void
on_candidate (guint index, gpointer data)
{
  se_dialog_show_candidate (data, index);
}

static void
on_live_toggled (SeDialog *d)
{
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live))) {
    se_dialog_request_preview (d, 0);
  } else {
    se_dialog_stop_preview (d);
    se_dialog_request_load (d, 0);      /* a load the preview stopped still enables OK */
  }
}

static GtkWidget *
preview_section (SeDialog *d)
{
  GtkWidget *vbox = gtk_vbox_new (FALSE, 6);
  d->preview = se_preview_new (&d->region, d->visible_w, d->visible_h);
  gtk_box_pack_start (GTK_BOX (vbox), se_preview_widget (d->preview), FALSE, FALSE, 0);
  d->live = gtk_check_button_new_with_mnemonic (_("Live previe_w"));
  gimp_help_set_help_data (d->live, _("Preview every change as you make it; off, only Generate "
                                      "computes a preview (for slow devices)"), NULL);
  g_signal_connect_swapped (d->live, "toggled", G_CALLBACK (on_live_toggled), d);
  gtk_box_pack_start (GTK_BOX (vbox), d->live, FALSE, FALSE, 0);
  d->detail = gtk_check_button_new_with_mnemonic (_("_Keep original detail"));
  gimp_help_set_help_data (d->detail, _("Add only what the edit changed to the photo's own pixels, at its full "
                                        "resolution; where the edit makes something new, show the edit itself. "
                                        "Off: the edit as the model draws it, scaled to the photo"), NULL);
  g_signal_connect_swapped (d->detail, "toggled", G_CALLBACK (se_dialog_show_results), d);
  gtk_box_pack_start (GTK_BOX (vbox), d->detail, FALSE, FALSE, 0);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 4);
  d->progress = gtk_progress_bar_new ();
  gtk_progress_bar_set_ellipsize (GTK_PROGRESS_BAR (d->progress), PANGO_ELLIPSIZE_END);
  gtk_box_pack_start (GTK_BOX (hbox), d->progress, TRUE, TRUE, 0);
  d->stop = gtk_button_new ();
  gtk_container_add (GTK_CONTAINER (d->stop), gtk_image_new_from_stock (GTK_STOCK_STOP, GTK_ICON_SIZE_MENU));
  gimp_help_set_help_data (d->stop, _("Stop the preview"), NULL);
  gtk_widget_set_sensitive (d->stop, FALSE);
  g_signal_connect_swapped (d->stop, "clicked", G_CALLBACK (se_dialog_stop_preview), d);
  gtk_box_pack_start (GTK_BOX (hbox), d->stop, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  d->candidates = se_candidates_new ((double) d->visible_w / d->region.width,
                                     (double) d->visible_h / d->region.height,
                                     (double) d->visible_w / d->visible_h, on_candidate, d);
  gtk_box_pack_start (GTK_BOX (vbox), se_candidates_widget (d->candidates), FALSE, FALSE, 0);
  return vbox;
}

SeDialog *
se_dialog_new (const SeImage *region, guint visible_w, guint visible_h, const SeDialogValues *initial,
               GimpHelpFunc help, const char *help_id)
{
  SeDialog *d = g_new0 (SeDialog, 1);
  d->region = *region;
  d->region.data = g_memdup2 (region->data, 3 * sizeof (float) * region->width * region->height);
  d->visible_w = visible_w;
  d->visible_h = visible_h;
  d->rows = g_ptr_array_new ();
  d->preview_side = env_uint ("SE_PREVIEW_SIZE", PREVIEW_SIDE, 64, 1024);
  d->preview_steps = env_uint ("SE_PREVIEW_STEPS", PREVIEW_STEPS, 2, 100);
  d->held = 1;
  g_autoptr (GError) error = NULL;
  d->worker = se_worker_new (&error);
  if (d->worker == NULL)
    g_warning ("no worker thread, no preview: %s", error->message);

  d->window = gimp_dialog_new (_("Semantic Edit"), "semantic-edit", NULL, 0, help, help_id,
                               _("_Reset"), SE_DIALOG_RESPONSE_RESET, _("_Cancel"), GTK_RESPONSE_CANCEL,
                               _("_OK"), GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (d->window), SE_DIALOG_RESPONSE_RESET, GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  gtk_dialog_set_default_response (GTK_DIALOG (d->window), GTK_RESPONSE_OK);
  d->ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (d->window), GTK_RESPONSE_OK);
  GtkWidget *main_box = gtk_hbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (main_box), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d->window))), main_box,
                      TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (main_box), preview_section (d), FALSE, FALSE, 0);
  GtkWidget *settings = gtk_vbox_new (FALSE, 8);
  gtk_box_pack_start (GTK_BOX (main_box), settings, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (settings), model_section (d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (settings), prompt_section (d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (settings), concepts_section (d), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (settings), advanced_section (d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (settings), seed_section (d), FALSE, FALSE, 0);
  g_signal_connect_swapped (d->generate, "clicked", G_CALLBACK (on_generate), d);
  gtk_widget_show_all (main_box);
  set_values (d, initial);
  se_dialog_update_ok (d);
  return d;
}

GtkWidget *
se_dialog_window (SeDialog *d)
{
  return d->window;
}

static void start_work (SeDialog *d);

static void
reset (SeDialog *d)
{
  g_autoptr (SeRecipe) defaults = se_recipe_new_for (method_chosen (d));
  g_autofree char *model = g_strdup (se_dialog_model_path (d));
  SeDialogValues v = { model, defaults, (guint32) gtk_adjustment_get_value (d->seed), 1,
                       gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)), 0 };
  set_values (d, &v);
  d->held = 1;
  start_work (d);
}

/* What the dialog shows, as values (seed: the selected candidate's). */
static void
read_values (SeDialog *d, SeDialogValues *v)
{
  se_dialog_values_clear (v);
  const char *model = se_dialog_model_path (d);
  v->model = *model ? g_strdup (model) : NULL;
  v->recipe = se_dialog_recipe (d);
  guint selected = se_candidates_selected (d->candidates);
  v->candidate = selected < d->held ? selected : 0;
  v->seed = (guint32) gtk_adjustment_get_value (d->seed) + v->candidate;
  v->candidates = (guint) gtk_adjustment_get_value (d->count);
  v->live_preview = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live));
}

/* The engine and model the closed worker loaded for `model`, or FALSE. */
static gboolean
take_model (SeDialog *d, const char *model, SeEngine **engine, SeModel **loaded)
{
  if (d->worker || d->state.model == NULL || g_strcmp0 (d->state.model_path, model) != 0)
    return FALSE;
  g_clear_pointer (&d->state.session, se_session_free);
  g_clear_pointer (&d->state.model_path, g_free);
  g_clear_pointer (&d->loaded_model, g_free);
  *engine = g_steal_pointer (&d->state.engine);
  *loaded = g_steal_pointer (&d->state.model);
  return TRUE;
}

/* Live preview on: a preview; off: the model loads, for OK. */
static void
start_work (SeDialog *d)
{
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->live)))
    se_dialog_start_preview (d);
  else
    se_dialog_request_load (d, 0);
}

/* OK's apply, with the dialog open and insensitive; FALSE (error set) when
 * it failed: the dialog starts its worker again. */
static gboolean
apply_ok (SeDialog *d, SeDialogApply apply, gpointer data, const SeDialogValues *values, GError **error)
{
  SeEngine *engine = NULL;
  SeModel *model = NULL;
  take_model (d, values->model, &engine, &model);
  d->applying = TRUE;
  se_dialog_update_ok (d);
  GtkWidget *content = gtk_dialog_get_content_area (GTK_DIALOG (d->window));
  GtkWidget *actions = gtk_dialog_get_action_area (GTK_DIALOG (d->window));
  gtk_widget_set_sensitive (content, FALSE);
  gtk_widget_set_sensitive (actions, FALSE);
  gtk_widget_set_sensitive (d->progress, TRUE);
  gboolean ok = apply (d, values, engine, model, data, error);
  gtk_widget_set_sensitive (content, TRUE);
  gtk_widget_set_sensitive (actions, TRUE);
  d->applying = FALSE;
  if (!ok) {   /* the model loads again for the next OK; the message stays until a change */
    d->worker = se_worker_new (NULL);
    se_dialog_start_load (d);
    se_dialog_show_message (d, *error ? (*error)->message : _("Semantic Edit failed."), FALSE);
  }
  se_dialog_update_ok (d);
  return ok;
}

gboolean
se_dialog_run (SeDialog *d, SeDialogApply apply, gpointer data, SeDialogValues *values)
{
  gtk_widget_show (d->window);
  start_work (d);
  gboolean applied = FALSE;
  for (;;) {
    gint response = gimp_dialog_run (GIMP_DIALOG (d->window));
    if (response == SE_DIALOG_RESPONSE_RESET) {
      reset (d);
      continue;
    }
    /* stop the preview and wait for the worker (at most one UNet evaluation) */
    se_dialog_stop_preview (d);
    se_worker_close (d->worker);
    d->worker = NULL;
    read_values (d, values);
    if (response != GTK_RESPONSE_OK)
      break;
    g_autoptr (GError) error = NULL;
    if ((applied = apply_ok (d, apply, data, values, &error)))
      break;
  }
  gtk_widget_hide (d->window);
  return applied;
}

void
se_dialog_set_progress (SeDialog *d, const char *text, double fraction)
{
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress), text);
  if (fraction >= 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress), MIN (fraction, 1.0));
  while (gtk_events_pending ())
    gtk_main_iteration_do (FALSE);
}

void
se_dialog_free (SeDialog *d)
{
  if (d == NULL)
    return;
  se_dialog_stop_preview (d);
  se_worker_close (d->worker);
  se_engine_state_clear (&d->state);
  g_free (d->loaded_model);
  gtk_widget_destroy (d->window);
  se_dialog_clear_results (d);
  g_ptr_array_unref (d->rows);
  g_free (d->region.data);
  g_free (d);
}
