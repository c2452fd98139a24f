#!/bin/sh
# The GIMP 3 twin of tests/ui/test-gimp-reopen.sh: re-opening an edit in a
# real GIMP 3 window (Script-Fu server + xdotool, as test-dialog.sh): an
# edit is made and the image saved as XCF and closed; the XCF is opened in
# a display; with the result layer active the filter opens its dialog on
# the edit's recipe; the concept's strength is changed and OK pressed.
# Then the same layer (name and mask kept) holds new pixels and the new
# strength in its record, no layer was added, the source layer is
# untouched; one Ctrl+Z in the image window restores the layer's pixels and
# record and leaves the image clean.
# Arguments: the plug-in binary, sf-client, compare-composite.
set -eu
REF=${SE_REFERENCE_DIR:?}
PLUGIN=$1 CLIENT=$2 COMPARE=$3
LAST_VALUES="{ \"model\": \"$REF/tiny-sd\", \"seed\": 1, \"candidates\": 1 }"
. "$(dirname "$0")/gimp3-server.sh"
trap se_gimp3_server_stop EXIT

# GIMP 3's Script-Fu (tests/ui/reopen-in-gimp.sh says what each does)
sf "$SE_SCM3_HELPERS" >/dev/null
se_edit_to_xcf() {
  sf "(let* ((c (image 160 120)) (img (car c)) (layer (cadr c)))
        (gimp-item-set-name layer \"base\")
        (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
        (plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector layer)
          #:model \"$REF/tiny-sd\" #:seed 4
          #:recipe \"{\\\"steps\\\": 6, \\\"skip\\\": 1, \\\"concepts\\\": [{\\\"prompt\\\": \\\"snow\\\", \\\"scale\\\": 6, \\\"warmup\\\": 0}]}\")
        (save img \"$1\")
        (gimp-image-delete img))" >/dev/null
}
se_open() { sf "(let ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$1\")))) (gimp-display-new img) img)"; }
se_layers() { sf "(vector-length (car (gimp-image-get-layers $1)))"; }
se_layer() { sf "(vector-ref (car (gimp-image-get-layers $1)) $2)"; }
se_has_mask() { [ "$(sf "(car (gimp-layer-get-mask $1))")" -gt 0 ] && echo 1 || echo 0; }
se_save() { sf "(save-drawable $1 $2 \"$3\")" >/dev/null; }
se_picture() {
  [ -n "${SE_PICTURES:-}" ] || return 0
  sf "(composite $1 \"$SE_PICTURES/$2.png\")" >/dev/null
}
se_make_active() { sf "(gimp-image-set-selected-layers $1 (vector $2))" >/dev/null; }
se_filter() { sf "(plug-in-semantic-edit #:run-mode RUN-INTERACTIVE #:image $1 #:drawables (vector $2))"; }
. "$(dirname "$0")/../ui/reopen-in-gimp.sh"
