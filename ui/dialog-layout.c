/* dialog-layout.c: the Semantic Edit dialog's widgets (dialog.c holds its
 * values and run, dialog-jobs.c its preview jobs).
 *
 * The preview column and the settings column side by side; the settings
 * in a notebook, Edit (method, prompts, concepts, intensity) and Advanced
 * (the values the intensity sets, the seed), so that the dialog keeps one
 * size whatever is open and every control in view has its own mnemonic:
 * the two pages may reuse each other's letters, since only the shown
 * page's are active, and so may controls of the two methods, since only the
 * chosen method's are sensitive (GTK passes over insensitive ones).  The
 * rows of several concepts share their letters: Alt+S steps through the
 * strengths.  tests/ui/test_dialog_keys.c walks every mnemonic. */
#include <glib/gi18n-lib.h>

#include "dialog-private.h"

#define MAX_CANDIDATES 8

static GtkWidget *
mnemonic_label (const char *text, GtkWidget *target)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (text);
  se_ui_align_start (l);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), target);
  return l;
}

/* A two-column form: labels on the left, their widgets filling the right. */
static GtkWidget *
form_new (void)
{
  return se_ui_form_new (6, 4);
}

/* Row `row` of a form: label (its mnemonic focusing target) and widget.
 * Returns the label. */
static GtkWidget *
form_row (GtkWidget *table, guint row, const char *label, GtkWidget *target, GtkWidget *widget)
{
  GtkWidget *l = mnemonic_label (label, target);
  se_ui_form_attach (table, row, l, widget, TRUE);
  return l;
}

/* ---- the model ---- */

static void
choose_model (SeDialog *d, GtkFileChooserAction action)
{
  gboolean folder = action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
  GtkWidget *chooser = se_ui_file_chooser_new (
      folder ? _("Choose a diffusers model folder") : _("Choose a Stable Diffusion checkpoint"),
      GTK_WINDOW (d->window), action);
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

/* Browse: a menu of the two kinds of model, one button (and one letter). */
static void
on_browse (GtkButton *button, SeDialog *d)
{
  se_ui_menu_popup_below (GTK_MENU (d->browse_menu), GTK_WIDGET (button));
}

static GtkWidget *
browse_menu (SeDialog *d)
{
  GtkWidget *menu = gtk_menu_new ();
  GtkWidget *file = gtk_menu_item_new_with_mnemonic (_("Single _file (.safetensors)…"));
  g_signal_connect_swapped (file, "activate", G_CALLBACK (on_choose_file), d);
  GtkWidget *folder = gtk_menu_item_new_with_mnemonic (_("Diffusers f_older…"));
  g_signal_connect_swapped (folder, "activate", G_CALLBACK (on_choose_folder), d);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), file);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), folder);
  gtk_widget_show_all (menu);
  return menu;
}

static GtkWidget *
model_section (SeDialog *d, const char *readme)
{
  GtkWidget *vbox = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *hbox = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  d->model_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->model_entry, _("A Stable Diffusion 1.x model: a diffusers folder "
                                             "or a single .safetensors checkpoint"), NULL);
  gtk_box_pack_start (GTK_BOX (hbox), mnemonic_label (_("_Model:"), d->model_entry), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->model_entry, TRUE, TRUE, 0);
  d->browse = gtk_button_new_with_mnemonic (_("_Browse…"));
  gimp_help_set_help_data (d->browse, _("Choose a single-file checkpoint or a diffusers model folder"), NULL);
  d->browse_menu = browse_menu (d);
  gtk_menu_attach_to_widget (GTK_MENU (d->browse_menu), d->browse, NULL);
  g_signal_connect (d->browse, "clicked", G_CALLBACK (on_browse), d);
  gtk_box_pack_start (GTK_BOX (hbox), d->browse, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);

  /* problems with the model or the values, and where to read about models */
  d->message_box = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_pack_start (GTK_BOX (d->message_box),
                      se_ui_icon_new ("dialog-warning", GTK_ICON_SIZE_BUTTON),
                      FALSE, FALSE, 0);
  GtkWidget *texts = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 0);
  d->message_label = gtk_label_new (NULL);
  gtk_label_set_line_wrap (GTK_LABEL (d->message_label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (d->message_label), TRUE);
  se_ui_align_start (d->message_label);
  gtk_widget_set_size_request (d->message_label, 360, -1);
  gtk_box_pack_start (GTK_BOX (texts), d->message_label, FALSE, FALSE, 0);
  g_autofree char *uri = g_filename_to_uri (readme, NULL, NULL);
  d->model_hint = gtk_link_button_new_with_label (uri ? uri : "",
                                                  _("Where to get model weights (README, \"Model weights\")"));
  se_ui_align_start (d->model_hint);
  gtk_box_pack_start (GTK_BOX (texts), d->model_hint, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (d->message_box), texts, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), d->message_box, FALSE, FALSE, 0);
  gtk_widget_show_all (vbox);
  gtk_widget_hide (d->message_box);
  gtk_widget_set_no_show_all (d->message_box, TRUE);
  g_signal_connect_swapped (d->model_entry, "changed", G_CALLBACK (se_dialog_on_model_changed), d);
  return vbox;
}

/* ---- the Edit page ---- */

static GtkWidget *
prompt_section (SeDialog *d)
{
  GtkWidget *table = form_new ();
  d->method = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->method), _("LEDITS: guided by concepts and a target prompt"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->method), _("LEDITS++: each concept confined to where it belongs"));
  gimp_help_set_help_data (d->method, _("LEDITS edits the whole region towards the target prompt and the "
                                        "concepts. LEDITS++ finds where each concept belongs (its mask) and "
                                        "changes only there, in fewer steps"), NULL);
  form_row (table, 0, _("Metho_d:"), d->method, d->method);
  g_signal_connect_swapped (d->method, "changed", G_CALLBACK (se_dialog_on_method_changed), d);
  d->src_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->src_entry, _("What the region shows now (optional), e.g. "
                                           "\"a photo of a man\""), NULL);
  d->tar_entry = gtk_entry_new ();
  gimp_help_set_help_data (d->tar_entry, _("What the region should show (optional), e.g. "
                                           "\"a photo of a man in winter\""), NULL);
  form_row (table, 1, _("So_urce prompt:"), d->src_entry, d->src_entry);
  d->tar_label = form_row (table, 2, _("_Target prompt:"), d->tar_entry, d->tar_entry);
  g_signal_connect_swapped (d->src_entry, "changed", G_CALLBACK (se_dialog_on_changed), d);
  g_signal_connect_swapped (d->tar_entry, "changed", G_CALLBACK (se_dialog_on_changed), d);
  return table;
}

static GtkWidget *
concepts_section (SeDialog *d)
{
  GtkWidget *frame = gimp_frame_new (_("Concepts"));
  GtkWidget *vbox = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_container_add (GTK_CONTAINER (frame), vbox);
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scrolled, -1, 170);
  d->concepts_box = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 8);
  se_ui_scrolled_add (GTK_SCROLLED_WINDOW (scrolled), d->concepts_box);
  gtk_box_pack_start (GTK_BOX (vbox), scrolled, TRUE, TRUE, 0);
  d->add_concept = gtk_button_new_with_mnemonic (_("_Add concept"));
  se_ui_button_set_icon (GTK_BUTTON (d->add_concept), "list-add", GTK_ICON_SIZE_BUTTON);
  gimp_help_set_help_data (d->add_concept, _("Add a concept to steer the edit towards or away from"), NULL);
  g_signal_connect_swapped (d->add_concept, "clicked", G_CALLBACK (se_dialog_on_add_concept), d);
  GtkWidget *hbox = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_pack_start (GTK_BOX (hbox), d->add_concept, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  return frame;
}

static GtkWidget *
intensity_row (SeDialog *d)
{
  GtkWidget *table = form_new ();
  d->preset = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset), _("Subtle: stay close to the photo"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset), _("Normal"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset), _("Strong: change more"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->preset), _("Custom (see Advanced)"));
  gimp_help_set_help_data (d->preset, _("Sets the Advanced values together: how faithful to the photo, how "
                                        "strongly the target prompt pulls, when the concepts start"), NULL);
  g_signal_connect_swapped (d->preset, "changed", G_CALLBACK (se_dialog_on_preset_chosen), d);
  form_row (table, 0, _("_Intensity:"), d->preset, d->preset);
  return table;
}

static GtkWidget *
edit_page (SeDialog *d)
{
  GtkWidget *vbox = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_container_set_border_width (GTK_CONTAINER (vbox), 8);
  gtk_box_pack_start (GTK_BOX (vbox), prompt_section (d), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), concepts_section (d), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), intensity_row (d), FALSE, FALSE, 0);
  return vbox;
}

/* ---- the Advanced page ---- */

/* A slider row; its tooltip says what it does in plain words, then the
 * technical name the recipe and the papers use. */
static GtkAdjustment *
scale (SeDialog *d, GtkWidget *table, guint row, const char *label, double lo, double hi, double step,
       guint digits, const char *effect, const char *key)
{
  g_autofree char *tooltip = g_strdup_printf ("%s (%s)", effect, key);
  GtkAdjustment *a = se_ui_scale_entry_new (table, row, label, lo, lo, hi, step, step * 5, digits, 0, 0, tooltip);
  g_signal_connect_swapped (a, "value-changed", G_CALLBACK (se_dialog_on_advanced_changed), d);
  return a;
}

static GtkWidget *
advanced_page (SeDialog *d)
{
  GtkWidget *table = se_ui_form_new (4, 2);
  gtk_container_set_border_width (GTK_CONTAINER (table), 8);
  d->steps = scale (d, table, 0, _("_Quality steps:"), 2, 200, 1, 0,
                    _("Diffusion steps of the final edit (the preview uses fewer): more is slower and finer"),
                    "steps");
  d->skip = scale (d, table, 1, _("_Faithfulness:"), 0, 199, 1, 0,
                   _("Leading steps left unedited: more keeps the result closer to the photo"), "skip");
  d->cfg_src = scale (d, table, 2, _("So_urce prompt weight:"), 1, 15, 0.5, 1,
                      _("How closely the photo's reconstruction follows the source prompt"), "cfg_src");
  d->cfg_tar = scale (d, table, 3, _("_Target prompt weight:"), 1, 20, 0.5, 1,
                      _("How strongly the edit follows the target prompt"), "cfg_tar");
  d->warmup = scale (d, table, 4, _("_Delay concepts:"), 0, 50, 1, 0,
                     _("Edit steps before the concepts start to act: more keeps the composition"), "warmup");
  d->mom_scale = scale (d, table, 5, _("Smooth_ing:"), 0, 1, 0.05, 2,
                        _("How much of the earlier steps' concept guidance carries over: smoother, steadier "
                          "changes"), "mom_scale");
  d->mom_beta = scale (d, table, 6, _("Smoothing f_ade:"), 0, 1, 0.05, 2,
                       _("How quickly the carried-over guidance fades"), "mom_beta");
  /* LEDITS++ only: shares its letter with Smoothing fade (LEDITS only) */
  d->masks_kind = gtk_combo_box_text_new ();
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->masks_kind), _("Attention and noise (intersection)"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->masks_kind), _("Attention only"));
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (d->masks_kind), _("Noise only"));
  gimp_help_set_help_data (d->masks_kind, _("LEDITS++: how a concept's mask is found: where the model attends to "
                                            "the concept's words, where its guidance is strongest, or both"), NULL);
  g_signal_connect_swapped (d->masks_kind, "changed", G_CALLBACK (se_dialog_on_changed), d);
  d->masks_label = mnemonic_label (_("Concept m_asks:"), d->masks_kind);
  se_ui_form_attach (table, 7, d->masks_label, d->masks_kind, FALSE);
  d->seed = GTK_ADJUSTMENT (gtk_adjustment_new (0, 0, G_MAXINT32, 1, 10, 0));
  GtkWidget *seed = gtk_spin_button_new (d->seed, 1, 0);
  gimp_help_set_help_data (seed, _("The inversion's noise: another seed gives another result (Candidates "
                                   "count up from it)"), NULL);
  g_signal_connect_swapped (d->seed, "value-changed", G_CALLBACK (se_dialog_on_changed), d);
  GtkWidget *seed_box = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_pack_start (GTK_BOX (seed_box), seed, FALSE, FALSE, 0);
  se_ui_form_attach (table, 8, mnemonic_label (_("_Seed:"), seed), seed_box, FALSE);
  return table;
}

/* ---- candidates, and the preview column ---- */

static GtkWidget *
candidates_row (SeDialog *d)
{
  GtkWidget *table = form_new ();
  d->count = GTK_ADJUSTMENT (gtk_adjustment_new (1, 1, MAX_CANDIDATES, 1, 2, 0));
  GtkWidget *count = gtk_spin_button_new (d->count, 1, 0);
  gimp_help_set_help_data (count, _("How many candidates Generate makes, with seeds counting up "
                                    "from the seed"), NULL);
  GtkWidget *hbox = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_pack_start (GTK_BOX (hbox), count, FALSE, FALSE, 0);
  d->generate = gtk_button_new_with_mnemonic (_("_Generate"));
  gimp_help_set_help_data (d->generate, _("Preview this many candidates to choose from"), NULL);
  g_signal_connect_swapped (d->generate, "clicked", G_CALLBACK (se_dialog_on_generate), d);
  gtk_box_pack_start (GTK_BOX (hbox), d->generate, FALSE, FALSE, 0);
  form_row (table, 0, _("Ca_ndidates:"), count, hbox);
  return table;
}

static void
on_candidate (guint index, gpointer data)
{
  se_dialog_show_candidate (data, index);
}

static GtkWidget *
preview_section (SeDialog *d, const float *coverage)
{
  GtkWidget *vbox = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 6);
  d->preview = se_preview_new (&d->region, d->visible_w, d->visible_h, coverage);
  gtk_box_pack_start (GTK_BOX (vbox), se_preview_widget (d->preview), FALSE, FALSE, 0);
  GtkWidget *toggles = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  d->live = gtk_check_button_new_with_mnemonic (_("_Live preview"));
  gimp_help_set_help_data (d->live, _("Preview every change as you make it; off, only Generate "
                                      "computes a preview (for slow devices)"), NULL);
  g_signal_connect_swapped (d->live, "toggled", G_CALLBACK (se_dialog_on_live_toggled), d);
  gtk_box_pack_start (GTK_BOX (toggles), d->live, FALSE, FALSE, 0);
  d->detail = gtk_check_button_new_with_mnemonic (_("_Keep original detail"));
  gimp_help_set_help_data (d->detail, _("Add only what the edit changed to the photo's own pixels, at its full "
                                        "resolution; where the edit makes something new, show the edit itself. "
                                        "Off: the edit as the model draws it, scaled to the photo"), NULL);
  g_signal_connect_swapped (d->detail, "toggled", G_CALLBACK (se_dialog_show_results), d);
  gtk_box_pack_start (GTK_BOX (toggles), d->detail, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), toggles, FALSE, FALSE, 0);
  GtkWidget *hbox = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  d->progress = se_ui_progress_bar_new ();
  gtk_progress_bar_set_ellipsize (GTK_PROGRESS_BAR (d->progress), PANGO_ELLIPSIZE_END);
  gtk_box_pack_start (GTK_BOX (hbox), d->progress, TRUE, TRUE, 0);
  d->stop = gtk_button_new_with_mnemonic (_("Sto_p"));
  se_ui_button_set_icon (GTK_BUTTON (d->stop), "process-stop", GTK_ICON_SIZE_MENU);
  gimp_help_set_help_data (d->stop, _("Stop the preview"), NULL);
  gtk_widget_set_sensitive (d->stop, FALSE);
  g_signal_connect_swapped (d->stop, "clicked", G_CALLBACK (se_dialog_stop_preview), d);
  gtk_box_pack_start (GTK_BOX (hbox), d->stop, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  d->cost = gtk_label_new (NULL);
  se_ui_align_start (d->cost);
  gtk_label_set_line_wrap (GTK_LABEL (d->cost), TRUE);
  gtk_widget_set_size_request (d->cost, 360, -1);
  gtk_box_pack_start (GTK_BOX (vbox), d->cost, FALSE, FALSE, 0);
  d->candidates = se_candidates_new ((double) d->visible_w / d->region.width,
                                     (double) d->visible_h / d->region.height,
                                     (double) d->visible_w / d->visible_h, on_candidate, d);
  gtk_box_pack_start (GTK_BOX (vbox), se_candidates_widget (d->candidates), FALSE, FALSE, 0);
  return vbox;
}

void
se_dialog_build (SeDialog *d, const float *coverage, GimpHelpFunc help, const char *help_id, const char *readme)
{
  d->window = gimp_dialog_new (_("Semantic Edit"), "semantic-edit", NULL, 0, help, help_id,
                               _("_Reset"), SE_DIALOG_RESPONSE_RESET, _("_Cancel"), GTK_RESPONSE_CANCEL,
                               _("_OK"), GTK_RESPONSE_OK, NULL);
  /* deprecated in GTK 3 but still how GIMP 3 orders its dialogs' buttons */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (d->window), SE_DIALOG_RESPONSE_RESET, GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_dialog_set_default_response (GTK_DIALOG (d->window), GTK_RESPONSE_OK);
  d->ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (d->window), GTK_RESPONSE_OK);
  GtkWidget *main_box = se_ui_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_container_set_border_width (GTK_CONTAINER (main_box), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (d->window))), main_box,
                      TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (main_box), preview_section (d, coverage), FALSE, FALSE, 0);
  GtkWidget *settings = se_ui_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_box_pack_start (GTK_BOX (main_box), settings, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (settings), model_section (d, readme), FALSE, FALSE, 0);
  d->notebook = gtk_notebook_new ();
  gtk_notebook_append_page (GTK_NOTEBOOK (d->notebook), edit_page (d), gtk_label_new_with_mnemonic (_("_Edit")));
  gtk_notebook_append_page (GTK_NOTEBOOK (d->notebook), advanced_page (d),
                            gtk_label_new_with_mnemonic (_("Ad_vanced")));
  gtk_box_pack_start (GTK_BOX (settings), d->notebook, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (settings), candidates_row (d), FALSE, FALSE, 0);
  gtk_widget_show_all (main_box);
}
