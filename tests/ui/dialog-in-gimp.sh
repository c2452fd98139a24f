# The dialog inside a real GIMP window, the steps and checks GIMP 2.10's
# tests/ui/test-gimp-dialog.sh and GIMP 3's tests/gimp3/test-dialog.sh
# share.  They source it once GIMP runs with its Script-Fu server (sf,
# fail, se_wait_filter, WORK, PROFILE, HELP_PAGE set), after defining what
# their Script-Fu says differently:
#   se_new_image        prints the ID of a new 160x120 image with a
#                       rectangle selected, shown in a display, clean
#   se_layers IMG       prints its layer count
#   se_layer IMG K      prints the ID of its layer K (0: the top)
#   se_has_mask LAYER   prints 1 when the layer has a mask
#   se_filter IMG LAYER runs the filter interactively (returns when the
#                       dialog closes)

# a stand-in browser (the server script put the help page beside the plug-in)
mkdir -p "$HOME/.local/share/applications"
cat > "$HOME/.local/share/applications/se-test-browser.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Test browser
Exec=/bin/sh -c 'echo "\$1" >> "$WORK/opened"' sh %u
MimeType=text/html;
DESKTOP
printf '[Default Applications]\ntext/html=se-test-browser.desktop\n' > "$HOME/.config/mimeapps.list"

IMG=$(se_new_image)
BASE=$(se_layer "$IMG" 0)
dirty() { sf "(car (gimp-image-is-dirty $IMG))"; }
echo "# image $IMG, layer $BASE"

# the filter, interactively: this call returns when the dialog is done
se_filter "$IMG" "$BASE" >"$WORK/run.out" 2>&1 &
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
opened=$(sed 's|^file://||' "$WORK/opened")
case "$opened" in
  *semantic-edit/help/en/index.html) ;;
  *) fail "Help opened $opened, not the plug-in's page" ;;
esac
grep -q "<h1>Semantic Edit</h1>" "$opened" || fail "the help page is not the README"
echo "# Help opened $opened"
xdotool windowfocus --sync "$DIALOG"
xdotool key --clearmodifiers alt+g      # Generate: two candidates
sleep 8
xdotool key --clearmodifiers alt+o      # OK
se_wait_filter $RUN_PID "OK" "$WORK/run.out"
echo "# filter: $(cat "$WORK/run.out")"

[ "$(se_layers "$IMG")" = 2 ] || fail "OK did not add one layer"
TOP=$(se_layer "$IMG" 0)
NAME=$(sf "(car (gimp-item-get-name $TOP))")
echo "# new layer $TOP: $NAME"
case "$NAME" in *snow*) ;; *) fail "the new layer's name does not name the concept: $NAME" ;; esac
[ "$(se_has_mask "$TOP")" = 1 ] || fail "the new layer has no mask"
[ "$(dirty)" = 1 ] || fail "the edit did not dirty the image"

# one Ctrl+Z in the image window undoes the whole edit
WIN=$(timeout 30 xdotool search --onlyvisible --name 'Untitled' | head -n 1) || fail "no image window"
xdotool windowfocus --sync "$WIN"
xdotool key --clearmodifiers ctrl+z
i=0
until [ "$(se_layers "$IMG")" = 1 ]; do
  i=$((i + 1)); [ $i -lt 60 ] || fail "Ctrl+Z did not remove the new layer"; sleep 0.5
done
[ "$(se_layer "$IMG" 0)" = "$BASE" ] || fail "the remaining layer is not the original"
[ "$(dirty)" = 0 ] || fail "after one Ctrl+Z the image is still changed: the edit was more than one undo step"
echo "# one Ctrl+Z removed the whole edit"

sed 's|"model" *: *"[^"]*"|"model": "/no/such/model"|' "$PROFILE/semantic-edit.json" > "$WORK/last.json"
cp "$WORK/last.json" "$PROFILE/semantic-edit.json"
se_filter "$IMG" "$BASE" >"$WORK/run2.out" 2>&1 &
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
[ "$(se_layers "$IMG")" = 1 ] || fail "the cancelled dialog changed the image"
echo "# a cancelled dialog kept what was typed"
sf '(gimp-quit 1)' >/dev/null 2>&1 || true
echo "PASS"
