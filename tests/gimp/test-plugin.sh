#!/bin/bash
# Drives real GIMP in batch mode (Script-Fu) with the plug-in installed into a
# fresh profile: an RGB image with a rectangle selection gets a new masked
# layer, the original layer is untouched, and the flattened image is
# unchanged outside the selection and changed inside; a bad model path and a
# bad recipe end in an execution error with a message and no new layer.
#   test-plugin.sh PLUGIN COMPARE-COMPOSITE
set -u
plugin=$1 compare=$2
model=$SE_REFERENCE_DIR/tiny-sd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home SE_WORKING_SIZE=128
mkdir -p "$HOME"
timeout 120 gimp -i -d -f -b '(gimp-quit 0)' > /dev/null 2>&1
dir=$HOME/.config/GIMP/2.10/plug-ins/semantic-edit
mkdir -p "$dir" && cp "$plugin" "$dir/semantic-edit"

recipe='{\"steps\": 4, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define (save img drawable path) (file-png-save RUN-NONINTERACTIVE img drawable path path 0 9 0 0 0 0 0))
(define (composite img path)
  (let ((copy (car (gimp-image-duplicate img))))
    (save copy (car (gimp-image-flatten copy)) path) (gimp-image-delete copy)))
(let* ((img (car (gimp-image-new 160 120 RGB)))
       (bg (car (gimp-layer-new img 160 120 RGB-IMAGE \"bg\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img bg 0 0)
  (plug-in-plasma RUN-NONINTERACTIVE img bg 7 1.0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 30 60 40)
  (composite img \"$work/before.png\")
  (save img bg \"$work/bg-before.png\")
  (let* ((layer (car (plug-in-semantic-edit RUN-NONINTERACTIVE img bg \"$model\" \"$recipe\" 3))))
    (gimp-message (string-append \"SE-TEST layers=\" (number->string (car (gimp-image-get-layers img)))
                                 \" mask=\" (if (> (car (gimp-layer-get-mask layer)) 0) \"yes\" \"no\")
                                 \" name=\" (car (gimp-item-get-name layer)))))
  (composite img \"$work/after.png\")
  (save img bg \"$work/bg-after.png\")
  (gimp-message (string-append \"SE-TEST bad-model=\"
    (if (catch #f (plug-in-semantic-edit RUN-NONINTERACTIVE img bg \"/no/such/model\" \"$recipe\" 1)) \"ran\" \"error\")
    \" bad-recipe=\"
    (if (catch #f (plug-in-semantic-edit RUN-NONINTERACTIVE img bg \"$model\" \"{\\\"colour\\\": 1}\" 1)) \"ran\" \"error\")
    \" layers=\" (number->string (car (gimp-image-get-layers img)))))
  (gimp-image-delete img))
"
log=$work/gimp.log
timeout 900 gimp -i -d -f -b "$script" -b '(gimp-quit 0)' > "$log" 2>&1
cat "$log"
fail=0
grep -q "SE-TEST layers=2 mask=yes name=Semantic Edit: +snowy" "$log" || { echo "FAIL: no new masked layer"; fail=1; }
grep -q "SE-TEST bad-model=error bad-recipe=error layers=2" "$log" || { echo "FAIL: bad input did not end in an error, or added a layer"; fail=1; }
grep -q "/no/such/model: no such model" "$log" || { echo "FAIL: the bad model's message is missing"; fail=1; }
grep -q 'recipe key \\"colour\\"\|recipe key "colour"' "$log" || { echo "FAIL: the bad recipe's message is missing"; fail=1; }
"$compare" "$work/before.png" "$work/after.png" 40 30 60 40 || { echo "FAIL: composite changed outside the selection or not inside"; fail=1; }
"$compare" SAME "$work/bg-before.png" "$work/bg-after.png" || { echo "FAIL: the original layer changed"; fail=1; }
exit $fail
