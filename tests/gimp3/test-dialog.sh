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

# a stand-in browser (gimp3-server.sh put the help page beside the plug-in)
mkdir -p "$HOME/.local/share/applications"
cat > "$HOME/.local/share/applications/se-test-browser.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Test browser
Exec=/bin/sh -c 'echo "\$1" >> "$WORK/opened"' sh %u
MimeType=text/html;
DESKTOP
printf '[Default Applications]\ntext/html=se-test-browser.desktop\n' > "$HOME/.config/mimeapps.list"

sf "$SE_SCM3_HELPERS" >/dev/null
IMG=$(sf "(let* ((c (image 160 120)) (img (car c)))
            (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
            (gimp-display-new img)
            (gimp-image-clean-all img)
            img)")
BASE=$(sf "(vector-ref (car (gimp-image-get-layers $IMG)) 0)")
layers() { sf "(vector-length (car (gimp-image-get-layers $IMG)))"; }
dirty() { sf "(car (gimp-image-is-dirty $IMG))"; }
echo "# image $IMG, layer $BASE"
run_filter() {
  sf "(plug-in-semantic-edit #:run-mode RUN-INTERACTIVE #:image $IMG #:drawables (vector $BASE))"
}

# the filter, interactively: this call returns when the dialog is done
run_filter >"$WORK/run.out" 2>&1 &
RUN_PID=$!
DIALOG=$(timeout 120 xdotool search --sync --onlyvisible --name '^Semantic Edit$' | head -n 1) ||
  fail "the dialog did not open: $(cat "$WORK/run.out")"
echo "# dialog window $DIALOG"
xdotool windowfocus --sync "$DIALOG"
sleep 3                                 # the first preview (its inversion) runs
xdotool key --clearmodifiers alt+h      # Help
i=0
until [ -s "$WORK/opened" ]; do
  i=$((i + 1)); [ $i -lt 60 ] || fail "Help opened nothing"; sleep 0.5
done
case "$(cat "$WORK/opened")" in
  *semantic-edit/help/en/index.html) ;;
  *) fail "Help opened $(cat "$WORK/opened"), not the plug-in's page" ;;
esac
grep -q "<h1>Semantic Edit</h1>" "$(cat "$WORK/opened" | sed 's|^file://||')" || fail "the help page is not the README"
echo "# Help opened $(cat "$WORK/opened")"
xdotool windowfocus --sync "$DIALOG"
xdotool key --clearmodifiers alt+g      # Generate: two candidates
sleep 8
xdotool key --clearmodifiers alt+o      # OK
se_wait_filter $RUN_PID "OK" "$WORK/run.out"
echo "# filter: $(cat "$WORK/run.out")"

[ "$(layers)" = 2 ] || fail "OK did not add one layer"
TOP=$(sf "(vector-ref (car (gimp-image-get-layers $IMG)) 0)")
NAME=$(sf "(car (gimp-item-get-name $TOP))")
echo "# new layer $TOP: $NAME"
case "$NAME" in *snow*) ;; *) fail "the new layer's name does not name the concept: $NAME" ;; esac
[ "$(sf "(car (gimp-layer-get-mask $TOP))")" -gt 0 ] || fail "the new layer has no mask"
[ "$(dirty)" = 1 ] || fail "the edit did not dirty the image"

# one Ctrl+Z in the image window undoes the whole edit
WIN=$(timeout 30 xdotool search --onlyvisible --name 'Untitled' | head -n 1) || fail "no image window"
xdotool windowfocus --sync "$WIN"
xdotool key --clearmodifiers ctrl+z
i=0
until [ "$(layers)" = 1 ]; do
  i=$((i + 1)); [ $i -lt 60 ] || fail "Ctrl+Z did not remove the new layer"; sleep 0.5
done
[ "$(sf "(vector-ref (car (gimp-image-get-layers $IMG)) 0)")" = "$BASE" ] || fail "the remaining layer is not the original"
[ "$(dirty)" = 0 ] || fail "after one Ctrl+Z the image is still changed: the edit was more than one undo step"
echo "# one Ctrl+Z removed the whole edit"

sed 's|"model" *: *"[^"]*"|"model": "/no/such/model"|' "$PROFILE/semantic-edit.json" > "$WORK/last.json"
cp "$WORK/last.json" "$PROFILE/semantic-edit.json"
run_filter >"$WORK/run2.out" 2>&1 &
RUN_PID=$!
DIALOG=$(timeout 120 xdotool search --sync --onlyvisible --name '^Semantic Edit$' | head -n 1) ||
  fail "the dialog did not open again"
xdotool windowfocus --sync "$DIALOG"
sleep 2                                 # the model fails to load
xdotool key --clearmodifiers alt+t      # the target prompt
xdotool key --clearmodifiers ctrl+a
xdotool type --delay 20 "a snowy street"
xdotool key --clearmodifiers alt+o      # OK: not available without a model
sleep 2
kill -0 $RUN_PID 2>/dev/null || fail "OK without a loaded model closed the dialog: $(cat "$WORK/run2.out")"
xdotool key --clearmodifiers Escape
i=0
while kill -0 $RUN_PID 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 60 ] || fail "Escape did not close the dialog"; sleep 0.5
done
grep -q '"tar" : "a snowy street"' "$PROFILE/semantic-edit.json" ||
  fail "the typed target prompt is not in the last values: $(cat "$PROFILE/semantic-edit.json")"
[ "$(layers)" = 1 ] || fail "the cancelled dialog changed the image"
echo "# a cancelled dialog kept what was typed"
sf '(gimp-quit 1)' >/dev/null 2>&1 || true
echo "PASS"
