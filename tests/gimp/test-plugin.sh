#!/bin/bash
# Drives real GIMP in batch mode (Script-Fu) with the plug-in installed into a
# fresh profile.  For each case (image kinds: RGB 8-bit, RGBA with
# transparent areas, grayscale, 16-bit, a layer with offsets; selections:
# rectangle, feathered ellipse, rectangle partly outside the layer, none,
# 10x10) it checks that one layer with a mask was added, the original layer
# is untouched, and the flattened image is unchanged wherever the selection
# is 0 and changed where it is not.  A 4000x3000 image with a large selection
# must complete.  A LEDITS++ recipe ("method": "ledits++") passes the same
# checks on the rectangle, and one with a source prompt and no concept
# leaves the composite as it was.  A bad model path and a bad recipe must end in an error with
# a message and no new layer; a with-last-values run then repeats the last
# successful edit.
#   test-plugin.sh PLUGIN COMPARE-COMPOSITE
# PLUGIN --installed runs the plug-in GIMP finds in its system folder (the
# Debian package's) instead of copying one into the profile.
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp-profile.sh"
se_gimp_test_start "$1"

recipe='{\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
pp_recipe='{\"method\": \"ledits++\", \"steps\": 4, \"skip\": 1, \"concepts\": [{\"prompt\": \"snowy\", \"threshold\": 0.5}]}'
# a source prompt and no concept: the picture comes back unchanged
unchanged_recipe='{\"method\": \"ledits++\", \"steps\": 4, \"skip\": 1, \"src\": \"a photo of a field\"}'
script="
(define W \"$work/\")
$SE_SCM_HELPERS
(define (edit img drawable model recipe)
  (car (plug-in-semantic-edit RUN-NONINTERACTIVE img drawable model recipe 3)))
(define (run-case tag img drawable checks)
  (run-case-with tag img drawable checks \"$recipe\"))
(define (run-case-with tag img drawable checks recipe)
  (let ((empty (= (car (gimp-selection-is-empty img)) TRUE))
        (count (car (gimp-image-get-layers img))))
    (if (= checks 1)
      (begin
        (if empty (gimp-selection-all img))
        (let ((ch (car (gimp-selection-save img))))
          (save img ch (string-append W tag \"-mask.png\"))
          (gimp-image-remove-channel img ch))
        (if empty (gimp-selection-none img))
        (composite img (string-append W tag \"-before.png\"))
        (save img drawable (string-append W tag \"-layer-before.png\"))))
    (let ((layer (edit img drawable \"$model\" recipe)))
      (gimp-message (string-append \"SE-TEST \" tag
        \" added=\" (number->string (- (car (gimp-image-get-layers img)) count))
        \" mask=\" (if (> (car (gimp-layer-get-mask layer)) 0) \"yes\" \"no\"))))
    (if (= checks 1)
      (begin
        (composite img (string-append W tag \"-after.png\"))
        (save img drawable (string-append W tag \"-layer-after.png\"))))
    (gimp-image-delete img)))

(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 40)
  (run-case \"rgb-rect\" img l 1))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-layer-add-alpha l)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 0 0 70 120)
  (gimp-drawable-edit-clear l)
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 12 12)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 30 20 90 70)
  (gimp-context-set-feather FALSE)
  (run-case \"rgba-feathered-ellipse\" img l 1))
(let* ((c (image GRAY PRECISION-U8-GAMMA 120 90)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 60 40 100 80)
  (run-case \"gray-partly-outside\" img l 1))
(let* ((c (image RGB PRECISION-U16-GAMMA 128 96)) (img (car c)) (l (cadr c)))
  (run-case \"rgb16-no-selection\" img l 1))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (bg (cadr c))
       (top (car (gimp-layer-new img 90 60 RGB-IMAGE \"offset\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img top 0 0)
  (gimp-layer-set-offsets top 50 40)
  (plug-in-plasma RUN-NONINTERACTIVE img top 3 2.0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 60 50 30 30)
  (run-case \"layer-offsets\" img top 1))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 70 50 10 10)
  (run-case \"ten-by-ten\" img l 1))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 40)
  (run-case-with \"ledits++-rect\" img l 1 \"$pp_recipe\"))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 40)
  (run-case-with \"ledits++-unchanged\" img l 1 \"$unchanged_recipe\"))
(let* ((c (image RGB PRECISION-U8-GAMMA 4000 3000)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 300 200 3000 2400)
  (run-case \"large\" img l 0))
(let* ((c (image RGB PRECISION-U8-GAMMA 96 64)) (img (car c)) (l (cadr c)))
  (gimp-message (string-append \"SE-TEST bad-model=\"
    (if (catch #f (edit img l \"/no/such/model\" \"$recipe\")) \"ran\" \"error\")
    \" bad-recipe=\"
    (if (catch #f (edit img l \"$model\" \"{\\\"colour\\\": 1}\")) \"ran\" \"error\")
    \" layers=\" (number->string (car (gimp-image-get-layers img)))))
  (plug-in-semantic-edit RUN-WITH-LAST-VALS img l \"\" \"\" 0)
  (gimp-message (string-append \"SE-TEST last-values layers=\" (number->string (car (gimp-image-get-layers img)))))
  (gimp-image-delete img))
"
log=$work/gimp.log
timeout 1500 gimp -i -d -f -b "$script" -b '(gimp-quit 0)' > "$log" 2>&1
cat "$log"
fail=0
for tag in rgb-rect rgba-feathered-ellipse gray-partly-outside rgb16-no-selection layer-offsets ten-by-ten ledits++-rect; do
  grep -q "SE-TEST $tag added=1 mask=yes" "$log" || { echo "FAIL: $tag: no new masked layer"; fail=1; continue; }
  "$compare" "$work/$tag-before.png" "$work/$tag-after.png" "$work/$tag-mask.png" ||
    { echo "FAIL: $tag: composite changed where the selection is 0, or not where it is not"; fail=1; }
  "$compare" SAME "$work/$tag-layer-before.png" "$work/$tag-layer-after.png" ||
    { echo "FAIL: $tag: the original layer changed"; fail=1; }
done
grep -q "SE-TEST ledits++-unchanged added=1 mask=yes" "$log" || { echo "FAIL: ledits++-unchanged: no new masked layer"; fail=1; }
"$compare" SAME "$work/ledits++-unchanged-before.png" "$work/ledits++-unchanged-after.png" ||
  { echo "FAIL: ledits++-unchanged: a source prompt without concepts changed the picture"; fail=1; }
grep -q "SE-TEST large added=1 mask=yes" "$log" || { echo "FAIL: the 4000x3000 image did not complete"; fail=1; }
grep -q "SE-TEST bad-model=error bad-recipe=error layers=1" "$log" || { echo "FAIL: bad input did not end in an error, or added a layer"; fail=1; }
grep -q "/no/such/model: no such model" "$log" || { echo "FAIL: the bad model's message is missing"; fail=1; }
grep -q 'recipe key "colour"' "$log" || { echo "FAIL: the bad recipe's message is missing"; fail=1; }
# last values: saved in the profile (they outlive the session) and used by RUN-WITH-LAST-VALS
grep -q '"steps" : 3' "$HOME/.config/GIMP/2.10/semantic-edit.json" || { echo "FAIL: last values not saved"; fail=1; }
grep -q "SE-TEST last-values layers=2" "$log" || { echo "FAIL: a with-last-values run did not add a layer"; fail=1; }
exit $fail
