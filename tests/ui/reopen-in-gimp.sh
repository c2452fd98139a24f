# Re-opening an edit in a real GIMP window, the steps and checks GIMP
# 2.10's tests/ui/test-gimp-reopen.sh and GIMP 3's
# tests/gimp3/test-dialog-reopen.sh share.  They source it once GIMP runs
# with its Script-Fu server (sf, fail, se_wait_filter, WORK, COMPARE set),
# after defining what their Script-Fu says differently:
#   se_edit_to_xcf PATH   makes an edit (a 160x120 image, a rectangle
#                         selected, the concept "snow" at strength 6), saves
#                         it as XCF at PATH and closes it
#   se_open PATH          prints the ID of the XCF at PATH opened in a display
#   se_layers IMG         prints its layer count
#   se_layer IMG K        prints the ID of its layer K (0: the top)
#   se_has_mask LAYER     prints 1 when the layer has a mask
#   se_save IMG LAYER PATH  the layer's pixels as a PNG
#   se_picture IMG NAME   the flattened image as $SE_PICTURES/NAME.png, when set
#   se_make_active IMG LAYER
#   se_filter IMG LAYER   runs the filter interactively (returns when the
#                         dialog closes)
XCF="$WORK/edit.xcf"
se_edit_to_xcf "$XCF"
IMG=$(se_open "$XCF")
RESULT=$(se_layer "$IMG" 0)
BASE=$(se_layer "$IMG" 1)
NAME=$(sf "(car (gimp-item-get-name $RESULT))")
# the record's JSON, without the server's escaping
record() { sf "(caddr (car (gimp-item-get-parasite $RESULT \"semantic-edit-record\")))" | tr -d '\\'; }
save() { se_save "$IMG" "$1" "$WORK/$2.png"; }
case "$(record)" in *'"scale":6.0,'*) ;; *) fail "the loaded result layer has no record of its edit: $(record)" ;; esac
save "$RESULT" result-before
save "$BASE" base-before
se_picture "$IMG" reopen-before
se_make_active "$IMG" "$RESULT"
sf "(gimp-image-clean-all $IMG)" >/dev/null
echo "# image $IMG: result layer $RESULT ($NAME) over $BASE"

# the result layer's edit re-opened in the dialog; the strength changed to 2
se_filter "$IMG" "$RESULT" >"$WORK/run.out" 2>&1 &
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

[ "$(se_layers "$IMG")" = 2 ] || fail "re-opening added or removed a layer"
[ "$(se_layer "$IMG" 0)" = "$RESULT" ] || fail "the result layer was replaced"
[ "$(sf "(car (gimp-item-get-name $RESULT))")" = "$NAME" ] || fail "the result layer's name changed"
[ "$(se_has_mask "$RESULT")" = 1 ] || fail "the result layer lost its mask"
case "$(record)" in *'"scale":2.0,'*) ;; *) fail "the record does not hold the new strength: $(record)" ;; esac
save "$RESULT" result-after
save "$BASE" base-after
se_picture "$IMG" reopen-after
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
