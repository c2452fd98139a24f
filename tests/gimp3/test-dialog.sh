#!/bin/sh
# The GIMP 3 twin of tests/ui/test-gimp-dialog.sh: the dialog (GTK 3)
# inside a real GIMP 3 window, under Xvfb; a Script-Fu server takes
# commands from this script while xdotool works the windows like a user.
# An image with a selection is opened in a display; the filter is started
# interactively (the dialog opens on the last values: the tiny reference
# model, one concept); Generate makes two candidates; OK applies; then one
# Ctrl+Z in the image window must remove the whole edit: one layer again,
# the original one, and the image clean as before.  Then the filter again
# with a model path that does not load: OK is not available (Alt+O leaves
# the dialog open), a target prompt is typed, Escape cancels, and what was
# typed is in the last values for the next time, the image untouched.
# Help (Alt+H) opens the plug-in's own page (its help domain: the README as
# HTML), in the browser the desktop names (a stand-in here, recording what
# it was asked to open).
# Arguments: the plug-in binary, sf-client, the help page.  Needs DISPLAY
# (xvfb-run).
set -eu
REF=${SE_REFERENCE_DIR:?}
PLUGIN=$1 CLIENT=$2 HELP_PAGE=$3
LAST_VALUES="{ \"model\": \"$REF/tiny-sd\",
  \"recipe\": { \"steps\": 8, \"skip\": 2, \"tar\": \"a photo in winter\",
              \"concepts\": [ { \"prompt\": \"snow\", \"scale\": 6, \"warmup\": 0 } ] },
  \"seed\": 5, \"candidates\": 2 }"
. "$(dirname "$0")/gimp3-server.sh"
trap se_gimp3_server_stop EXIT

# GIMP 3's Script-Fu (tests/ui/dialog-in-gimp.sh says what each gives)
sf "$SE_SCM3_HELPERS" >/dev/null
se_new_image() {
  sf "(let* ((c (image 160 120)) (img (car c)))
        (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
        (gimp-display-new img)
        (gimp-image-clean-all img)
        img)"
}
se_layers() { sf "(vector-length (car (gimp-image-get-layers $1)))"; }
se_layer() { sf "(vector-ref (car (gimp-image-get-layers $1)) $2)"; }
se_has_mask() { [ "$(sf "(car (gimp-layer-get-mask $1))")" -gt 0 ] && echo 1 || echo 0; }
se_filter() { sf "(plug-in-semantic-edit #:run-mode RUN-INTERACTIVE #:image $1 #:drawables (vector $2))"; }
. "$(dirname "$0")/../ui/dialog-in-gimp.sh"
