#!/bin/bash
# Odd images and drawables in real GIMP (batch mode, Script-Fu): each case
# either works (one new masked layer, the source layer untouched) or ends
# with a clear message and leaves the image exactly as it was (no new item,
# the composite the same, and the image still clean: nothing went on the
# undo history).  Cases: a 1x1 image, a 1x5000 sliver, a 1-pixel selection,
# a selection entirely outside the active layer, a layer mask and a channel
# as the active drawable, an indexed image, a layer inside a group (the
# result goes into the group), a text layer, and a 20000x20000 canvas with
# a small selection.
#   test-edge-cases.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp-profile.sh"
se_gimp_test_start "$1"
. "$(dirname "$0")/edge-expectations.sh"

recipe='{\"steps\": 2, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define W \"$work/\")
$SE_SCM_HELPERS
(define (items img) (+ (car (gimp-image-get-layers img)) (car (gimp-image-get-channels img)) (group-size img)))
(define (group-size img)
  (let loop ((layers (vector->list (cadr (gimp-image-get-layers img)))) (n 0))
    (if (null? layers) n
      (loop (cdr layers) (+ n (if (= (car (gimp-item-is-group (car layers))) TRUE)
                                (car (gimp-item-get-children (car layers))) 0))))))
; Runs the filter on drawable and reports: ok (with whether the new layer
; has a mask and sits in a group) or error; the item count's change; whether
; the image became dirty; and the composite before and after (not for the
; huge canvas: writing it would take minutes).
(define (try tag img drawable)
  (gimp-image-clean-all img)
  (define (snapshot when)
    (if (< (car (gimp-image-width img)) 10000) (composite img (string-append W tag when))))
  (snapshot \"-before.png\")
  (let* ((before (items img)) (grouped (group-size img))
         (result (catch #f (car (plug-in-semantic-edit RUN-NONINTERACTIVE img drawable \"$model\" \"$recipe\" 3)))))
    (snapshot \"-after.png\")
    (gimp-message (string-append \"SE-EDGE \" tag
      (if result
        (string-append \" ok mask=\" (if (> (car (gimp-layer-get-mask result)) 0) \"yes\" \"no\")
                       \" in-group=\" (number->string (- (group-size img) grouped)))
        \" error\")
      \" added=\" (number->string (- (items img) before))
      \" dirty=\" (if (= (car (gimp-image-is-dirty img)) TRUE) \"yes\" \"no\")))
    (gimp-image-delete img)))

(let* ((c (image RGB PRECISION-U8-GAMMA 1 1)) (img (car c)) (l (cadr c)))
  (try \"one-pixel-image\" img l))
(let* ((c (image RGB PRECISION-U8-GAMMA 1 5000)) (img (car c)) (l (cadr c)))
  (try \"sliver\" img l))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 80 60 1 1)
  (try \"one-pixel-selection\" img l))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (bg (cadr c))
       (top (car (gimp-layer-new img 50 40 RGB-IMAGE \"small\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img top 0 0)
  (plug-in-plasma RUN-NONINTERACTIVE img top 3 2.0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 100 80 30 30)
  (try \"selection-outside-layer\" img top))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c))
       (mask (car (gimp-layer-create-mask l ADD-MASK-WHITE))))
  (gimp-layer-add-mask l mask)
  (try \"layer-mask\" img mask))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c))
       (ch (car (gimp-channel-new img 160 120 \"channel\" 50 '(255 0 0)))))
  (gimp-image-insert-channel img ch 0 0)
  (try \"channel\" img ch))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-convert-indexed img CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE 16 FALSE FALSE \"\")
  (try \"indexed\" img l))
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c)) (bg (cadr c))
       (group (car (gimp-layer-group-new img)))
       (inner (car (gimp-layer-new img 160 120 RGB-IMAGE \"inner\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img group 0 0)
  (gimp-image-insert-layer img inner group 0)
  (plug-in-plasma RUN-NONINTERACTIVE img inner 11 2.0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 20 20 60 50)
  (try \"layer-in-group\" img inner))
(gimp-fonts-refresh)   ; batch mode loads fonts in the background: wait for them
(let* ((c (image RGB PRECISION-U8-GAMMA 160 120)) (img (car c))
       (text (car (gimp-text-layer-new img \"Snow\" \"Sans\" 48 PIXELS))))
  (gimp-image-insert-layer img text 0 0)
  (try \"text-layer\" img text))
(let* ((img (car (gimp-image-new 20000 20000 RGB)))
       (l (car (gimp-layer-new img 20000 20000 RGB-IMAGE \"huge\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img l 0 0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12000 9000 120 90)
  (plug-in-plasma RUN-NONINTERACTIVE img l 5 2.0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12040 9030 40 30)
  (try \"huge-canvas\" img l))
"
log=$work/gimp.log
timeout 900 gimp -i -d -f -b "$script" -b '(gimp-quit 0)' > "$log" 2>&1
cat "$log"
se_edge_verify "$log" "$compare"
exit $fail
