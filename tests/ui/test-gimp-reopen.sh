#!/bin/sh
# Re-opening an edit in a real GIMP window (UI, under Xvfb; Script-Fu
# server + xdotool, as test-gimp-dialog.sh): an edit is made and the image
# saved as XCF and closed; the XCF is opened in a display; with the result
# layer active the filter opens its dialog on the edit's recipe; the
# concept's strength is changed and OK pressed.  Then the same layer (name
# and mask kept) holds new pixels and the new strength in its record, no
# layer was added, the source layer is untouched; one Ctrl+Z in the image
# window restores the layer's pixels and record and leaves the image clean.
# Arguments: the plug-in binary, sf-client, compare-composite.
set -eu
REF=${SE_REFERENCE_DIR:?}
PLUGIN=$1 CLIENT=$2 COMPARE=$3
LAST_VALUES="{ \"model\": \"$REF/tiny-sd\", \"seed\": 1, \"candidates\": 1 }"
. "$(dirname "$0")/gimp-server.sh"
trap se_gimp_server_stop EXIT

# GIMP 2.10's Script-Fu (reopen-in-gimp.sh says what each does)
se_edit_to_xcf() {
  sf "(let* ((img (car (gimp-image-new 160 120 RGB)))
             (layer (car (gimp-layer-new img 160 120 RGB-IMAGE \"base\" 100 LAYER-MODE-NORMAL))))
        (gimp-image-insert-layer img layer 0 0)
        (plug-in-plasma RUN-NONINTERACTIVE img layer 7 2.5)
        (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
        (let ((result (car (plug-in-semantic-edit RUN-NONINTERACTIVE img layer \"$REF/tiny-sd\"
                        \"{\\\"steps\\\": 6, \\\"skip\\\": 1, \\\"concepts\\\": [{\\\"prompt\\\": \\\"snow\\\", \\\"scale\\\": 6, \\\"warmup\\\": 0}]}\" 4))))
          (gimp-xcf-save RUN-NONINTERACTIVE img result \"$1\" \"$1\"))
        (gimp-image-delete img))" >/dev/null
}
se_open() { sf "(let ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$1\" \"$1\")))) (gimp-display-new img) img)"; }
se_layers() { sf "(car (gimp-image-get-layers $1))"; }
se_layer() { sf "(vector-ref (cadr (gimp-image-get-layers $1)) $2)"; }
se_has_mask() { [ "$(sf "(car (gimp-layer-get-mask $1))")" != -1 ] && echo 1 || echo 0; }
se_save() { sf "(file-png-save RUN-NONINTERACTIVE $1 $2 \"$3\" \"$3\" 0 9 0 0 0 0 0)" >/dev/null; }
se_picture() {
  [ -n "${SE_PICTURES:-}" ] || return 0
  sf "(let* ((copy (car (gimp-image-duplicate $1))) (flat (car (gimp-image-flatten copy))))
        (file-png-save RUN-NONINTERACTIVE copy flat \"$SE_PICTURES/$2.png\" \"$SE_PICTURES/$2.png\" 0 9 0 0 0 0 0)
        (gimp-image-delete copy))" >/dev/null
}
se_make_active() { sf "(gimp-image-set-active-layer $1 $2)" >/dev/null; }
se_filter() { sf "(plug-in-semantic-edit RUN-INTERACTIVE $1 $2 \"\" \"\" 0)"; }
. "$(dirname "$0")/reopen-in-gimp.sh"
