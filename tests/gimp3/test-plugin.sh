#!/bin/bash
# The procedure in real GIMP 3 (batch mode, Script-Fu with named
# arguments), with the plug-in installed into a fresh GIMP 3 profile: on a
# rectangle and on a feathered ellipse, one layer with a mask is added (in
# one undo group), named after the concept, carrying its edit record; the
# original layer is untouched and the flattened image unchanged wherever the
# selection is 0 and changed where it is not.  A bad model and a bad recipe
# end in an error with a message and no new layer.  GIMP registered the
# procedure in its menu as Filters > Semantic Edit... (its pluginrc).
#   test-plugin.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp3-profile.sh"
se_gimp3_test_start "$1"

recipe='{\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define W \"$work/\")
$SE_SCM3_HELPERS
(define (run-case tag img layer)
  (let ((ch (car (gimp-selection-save img))))
    (save-drawable img ch (string-append W tag \"-mask.png\"))
    (gimp-image-remove-channel img ch))
  (composite img (string-append W tag \"-before.png\"))
  (save-drawable img layer (string-append W tag \"-layer-before.png\"))
  (let* ((count (layers img))
         (new (edit img layer \"$model\" \"$recipe\")))
    (say tag \" added=\" (number->string (- (layers img) count))
         \" mask=\" (if (has-mask new) \"yes\" \"no\")
         \" name=\" (car (gimp-item-get-name new))
         \" record=\" (if (car (gimp-item-get-parasite new \"semantic-edit-record\")) \"yes\" \"no\")))
  (composite img (string-append W tag \"-after.png\"))
  (save-drawable img layer (string-append W tag \"-layer-after.png\"))
  (gimp-image-delete img))

(let* ((c (image 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 40)
  (run-case \"rgb-rect\" img l))
(let* ((c (image 160 120)) (img (car c)) (l (cadr c)))
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 12 12)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 30 20 90 70)
  (gimp-context-set-feather FALSE)
  (run-case \"feathered-ellipse\" img l))
(let* ((c (image 96 64)) (img (car c)) (l (cadr c)))
  (say \"bad-model=\" (if (catch #f (edit img l \"/no/such/model\" \"$recipe\")) \"ran\" \"error\")
       \" bad-recipe=\" (if (catch #f (edit img l \"$model\" \"{\\\"colour\\\": 1}\")) \"ran\" \"error\")
       \" layers=\" (number->string (layers img)))
  (gimp-image-delete img))
"
log=$work/gimp.log
se_gimp3_run "$script" "$log"
cat "$log"
fail=0
for tag in rgb-rect feathered-ellipse; do
  grep -q "SE-TEST $tag added=1 mask=yes name=Semantic Edit: +snowy record=yes" "$log" ||
    { echo "FAIL: $tag: no new masked layer named after the edit with its record"; fail=1; continue; }
  "$compare" "$work/$tag-before.png" "$work/$tag-after.png" "$work/$tag-mask.png" ||
    { echo "FAIL: $tag: composite changed where the selection is 0, or not where it is not"; fail=1; }
  "$compare" SAME "$work/$tag-layer-before.png" "$work/$tag-layer-after.png" ||
    { echo "FAIL: $tag: the original layer changed"; fail=1; }
done
grep -q "SE-TEST bad-model=error bad-recipe=error layers=1" "$log" ||
  { echo "FAIL: bad input did not end in an error, or added a layer"; fail=1; }
grep -q "/no/such/model: no such model" "$log" || { echo "FAIL: the bad model's message is missing"; fail=1; }
grep -q 'recipe key "colour"' "$log" || { echo "FAIL: the bad recipe's message is missing"; fail=1; }
grep -A12 '(proc-def "plug-in-semantic-edit"' "$HOME/.config/GIMP/3.0/pluginrc" > "$work/registered"
grep -q '"Semantic _Edit..."' "$work/registered" && grep -q '(menu-path "<Image>/Filters")' "$work/registered" ||
  { echo "FAIL: GIMP 3 did not register Filters > Semantic Edit...: $(cat "$work/registered")"; fail=1; }
[ $fail = 0 ] && echo PASS
exit $fail
