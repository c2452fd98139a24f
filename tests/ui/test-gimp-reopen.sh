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
XCF="$WORK/edit.xcf"

# an edit, saved as XCF, and the image closed
sf "(let* ((img (car (gimp-image-new 160 120 RGB)))
           (layer (car (gimp-layer-new img 160 120 RGB-IMAGE \"base\" 100 LAYER-MODE-NORMAL))))
      (gimp-image-insert-layer img layer 0 0)
      (plug-in-plasma RUN-NONINTERACTIVE img layer 7 2.5)
      (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
      (let ((result (car (plug-in-semantic-edit RUN-NONINTERACTIVE img layer \"$REF/tiny-sd\"
                      \"{\\\"steps\\\": 6, \\\"skip\\\": 1, \\\"concepts\\\": [{\\\"prompt\\\": \\\"snow\\\", \\\"scale\\\": 6, \\\"warmup\\\": 0}]}\" 4))))
        (gimp-xcf-save RUN-NONINTERACTIVE img result \"$XCF\" \"$XCF\"))
      (gimp-image-delete img))" >/dev/null

# opened again in a window
IMG=$(sf "(let ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$XCF\" \"$XCF\"))))
            (gimp-display-new img) img)")
RESULT=$(sf "(vector-ref (cadr (gimp-image-get-layers $IMG)) 0)")
BASE=$(sf "(vector-ref (cadr (gimp-image-get-layers $IMG)) 1)")
NAME=$(sf "(car (gimp-item-get-name $RESULT))")
# the record's JSON, without the server's escaping
record() { sf "(caddr (car (gimp-item-get-parasite $RESULT \"semantic-edit-record\")))" | tr -d '\\'; }
save() { sf "(file-png-save RUN-NONINTERACTIVE $IMG $1 \"$WORK/$2.png\" \"$WORK/$2.png\" 0 9 0 0 0 0 0)" >/dev/null; }
# the flattened image as SE_PICTURES/$1.png (the README's pictures), when set
picture() {
  [ -n "${SE_PICTURES:-}" ] || return 0
  sf "(let* ((copy (car (gimp-image-duplicate $IMG))) (flat (car (gimp-image-flatten copy))))
        (file-png-save RUN-NONINTERACTIVE copy flat \"$SE_PICTURES/$1.png\" \"$SE_PICTURES/$1.png\" 0 9 0 0 0 0 0)
        (gimp-image-delete copy))" >/dev/null
}
case "$(record)" in *'"scale":6.0,'*) ;; *) fail "the loaded result layer has no record of its edit: $(record)" ;; esac
save "$RESULT" result-before
save "$BASE" base-before
picture reopen-before
sf "(gimp-image-set-active-layer $IMG $RESULT)" >/dev/null
sf "(gimp-image-clean-all $IMG)" >/dev/null
echo "# image $IMG: result layer $RESULT ($NAME) over $BASE"

# the result layer's edit re-opened in the dialog; the strength changed to 2
sf "(plug-in-semantic-edit RUN-INTERACTIVE $IMG $RESULT \"\" \"\" 0)" >"$WORK/run.out" 2>&1 &
RUN_PID=$!
DIALOG=$(timeout 120 xdotool search --sync --onlyvisible --name '^Semantic Edit: re-opened' | head -n 1) ||
  fail "the dialog did not open, or its title does not say it re-opened the edit"
xdotool windowfocus --sync "$DIALOG"
sleep 2
xdotool key --clearmodifiers alt+s      # the concept's Strength
xdotool key --clearmodifiers ctrl+a
xdotool type --delay 50 "2"
xdotool key --clearmodifiers Tab
sleep 2
xdotool key --clearmodifiers alt+y      # OK, here "Update Layer"
se_wait_filter $RUN_PID "OK" "$WORK/run.out"
echo "# filter: $(cat "$WORK/run.out")"

[ "$(sf "(car (gimp-image-get-layers $IMG))")" = 2 ] || fail "re-opening added or removed a layer"
[ "$(sf "(vector-ref (cadr (gimp-image-get-layers $IMG)) 0)")" = "$RESULT" ] || fail "the result layer was replaced"
[ "$(sf "(car (gimp-item-get-name $RESULT))")" = "$NAME" ] || fail "the result layer's name changed"
[ "$(sf "(car (gimp-layer-get-mask $RESULT))")" != -1 ] || fail "the result layer lost its mask"
case "$(record)" in *'"scale":2.0,'*) ;; *) fail "the record does not hold the new strength: $(record)" ;; esac
save "$RESULT" result-after
save "$BASE" base-after
picture reopen-after
"$COMPARE" SAME "$WORK/base-before.png" "$WORK/base-after.png" || fail "the source layer changed"
if "$COMPARE" SAME "$WORK/result-before.png" "$WORK/result-after.png"; then
  fail "the result layer's pixels did not change"
fi
echo "# the result layer was updated in place"

# one Ctrl+Z in the image window restores it
WIN=$(timeout 30 xdotool search --onlyvisible --name 'edit\.xcf-' | head -n 1) || fail "no image window"
xdotool windowfocus --sync "$WIN"
xdotool key --clearmodifiers ctrl+z
i=0
until [ "$(sf "(car (gimp-image-is-dirty $IMG))")" = 0 ]; do
  i=$((i + 1)); [ $i -lt 60 ] || fail "after one Ctrl+Z the image is still changed"; sleep 0.5
done
save "$RESULT" result-undone
"$COMPARE" SAME "$WORK/result-before.png" "$WORK/result-undone.png" || fail "Ctrl+Z did not restore the layer's pixels"
case "$(record)" in *'"scale":6.0,'*) ;; *) fail "Ctrl+Z did not restore the record: $(record)" ;; esac
echo "# one Ctrl+Z restored the layer and its record"
sf '(gimp-quit 1)' >/dev/null 2>&1 || true
echo "PASS"
