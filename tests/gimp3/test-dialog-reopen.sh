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
XCF="$WORK/edit.xcf"
sf "$SE_SCM3_HELPERS" >/dev/null

# an edit, saved as XCF, and the image closed
sf "(let* ((c (image 160 120)) (img (car c)) (layer (cadr c)))
      (gimp-item-set-name layer \"base\")
      (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 64 48)
      (car (plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector layer)
             #:model \"$REF/tiny-sd\" #:seed 4
             #:recipe \"{\\\"steps\\\": 6, \\\"skip\\\": 1, \\\"concepts\\\": [{\\\"prompt\\\": \\\"snow\\\", \\\"scale\\\": 6, \\\"warmup\\\": 0}]}\"))
      (save img \"$XCF\")
      (gimp-image-delete img))" >/dev/null

# opened again in a window
IMG=$(sf "(let ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$XCF\")))) (gimp-display-new img) img)")
nth() { sf "(vector-ref (car (gimp-image-get-layers $IMG)) $1)"; }
RESULT=$(nth 0)
BASE=$(nth 1)
NAME=$(sf "(car (gimp-item-get-name $RESULT))")
# the record's JSON, without the server's escaping
record() { sf "(caddr (car (gimp-item-get-parasite $RESULT \"semantic-edit-record\")))" | tr -d '\\'; }
save() { sf "(save-drawable $IMG $1 \"$WORK/$2.png\")" >/dev/null; }
case "$(record)" in *'"scale":6.0,'*) ;; *) fail "the loaded result layer has no record of its edit: $(record)" ;; esac
save "$RESULT" result-before
save "$BASE" base-before
sf "(gimp-image-set-selected-layers $IMG (vector $RESULT))" >/dev/null
sf "(gimp-image-clean-all $IMG)" >/dev/null
echo "# image $IMG: result layer $RESULT ($NAME) over $BASE"

# the result layer's edit re-opened in the dialog; the strength changed to 2
sf "(plug-in-semantic-edit #:run-mode RUN-INTERACTIVE #:image $IMG #:drawables (vector $RESULT))" \
  >"$WORK/run.out" 2>&1 &
RUN_PID=$!
DIALOG=$(timeout 120 xdotool search --sync --onlyvisible --name '^Semantic Edit: re-opened' | head -n 1) ||
  fail "the dialog did not open, or its title does not say it re-opened the edit: $(cat "$WORK/run.out")"
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

[ "$(sf "(vector-length (car (gimp-image-get-layers $IMG)))")" = 2 ] || fail "re-opening added or removed a layer"
[ "$(nth 0)" = "$RESULT" ] || fail "the result layer was replaced"
[ "$(sf "(car (gimp-item-get-name $RESULT))")" = "$NAME" ] || fail "the result layer's name changed"
[ "$(sf "(car (gimp-layer-get-mask $RESULT))")" -gt 0 ] || fail "the result layer lost its mask"
case "$(record)" in *'"scale":2.0,'*) ;; *) fail "the record does not hold the new strength: $(record)" ;; esac
save "$RESULT" result-after
save "$BASE" base-after
"$COMPARE" SAME "$WORK/base-before.png" "$WORK/base-after.png" || fail "the source layer changed"
if "$COMPARE" SAME "$WORK/result-before.png" "$WORK/result-after.png"; then
  fail "the result layer's pixels did not change"
fi
echo "# the result layer was updated in place"

# one Ctrl+Z in the image window restores it
WIN=$(timeout 30 xdotool search --onlyvisible --name 'edit\.xcf' | head -n 1) || fail "no image window"
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
