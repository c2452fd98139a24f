/* edit-record-parasite.c: the record as a GIMP 2.10 layer parasite
 * (edit-record.h). */
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>
#include <string.h>

#include "edit-record.h"

gboolean
se_edit_record_attach (gint32 layer, const SeEditRecord *rec, GError **error)
{
  g_autofree char *text = se_edit_record_to_json (rec);
  GimpParasite *p = gimp_parasite_new (SE_EDIT_RECORD_PARASITE, GIMP_PARASITE_PERSISTENT | GIMP_PARASITE_UNDOABLE,
                                       (guint32) strlen (text) + 1, text);
  gboolean ok = gimp_item_attach_parasite (layer, p);
  gimp_parasite_free (p);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("GIMP could not store the edit's recipe on its layer."));
  return ok;
}

gboolean
se_edit_record_read (gint32 layer, SeEditRecord *rec, GError **error)
{
  memset (rec, 0, sizeof *rec);
  GimpParasite *p = gimp_item_get_parasite (layer, SE_EDIT_RECORD_PARASITE);
  if (p == NULL)
    return FALSE;
  gboolean ok = se_edit_record_from_json (gimp_parasite_data (p), gimp_parasite_data_size (p), rec, error);
  gimp_parasite_free (p);
  return ok;
}
