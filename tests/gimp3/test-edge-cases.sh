#!/bin/bash
# The GIMP 3 twin of tests/gimp/test-edge-cases.sh: odd images and
# drawables in real GIMP 3 (batch mode).  Each case either works (one new
# masked layer, in the source layer's group) or ends with a clear message
# and leaves the image exactly as it was (no new item, the composite the
# same, the image still clean).  Cases: a 1x1 image, a 1x5000 sliver, a
# 1-pixel selection, a selection entirely outside the active layer, a layer
# mask and a channel as the drawable, an indexed image, a layer inside a
# group, a text layer, and a 20000x20000 canvas with a small selection.
#   test-edge-cases.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp3-profile.sh"
se_gimp3_test_start "$1"
. "$(dirname "$0")/../gimp/edge-expectations.sh"

recipe='{\"steps\": 2, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define W \"$work/\")
$SE_SCM3_HELPERS
(define (group-size img)
  (let loop ((all (vector->list (car (gimp-image-get-layers img)))) (n 0))
    (if (null? all) n
      (loop (cdr all) (+ n (if (= (car (gimp-item-is-group (car all))) TRUE)
                             (vector-length (car (gimp-item-get-children (car all)))) 0))))))
(define (items img) (+ (layers img) (vector-length (car (gimp-image-get-channels img))) (group-size img)))
; Runs the filter on drawable and reports: ok (with whether the new layer
; has a mask and sits in a group) or error; the item count's change; whether
; the image became dirty; and the composite before and after (not for the
; huge canvas: writing it would take minutes).
(define (try tag img drawable)
  (gimp-image-clean-all img)
  (define (snapshot when)
    (if (< (car (gimp-image-get-width img)) 10000) (composite img (string-append W tag when))))
  (snapshot \"-before.png\")
  (let* ((before (items img)) (grouped (group-size img))
         (result (catch #f (edit img drawable \"$model\" \"$recipe\"))))
    (snapshot \"-after.png\")
    (gimp-message (string-append \"SE-EDGE \" tag
      (if result
        (string-append \" ok mask=\" (if (has-mask result) \"yes\" \"no\")
                       \" in-group=\" (number->string (- (group-size img) grouped)))
        \" error\")
      \" added=\" (number->string (- (items img) before))
      \" dirty=\" (if (= (car (gimp-image-is-dirty img)) TRUE) \"yes\" \"no\")))
    (gimp-image-delete img)))

(let* ((c (image 1 1)) (img (car c)) (l (cadr c)))
  (try \"one-pixel-image\" img l))
(let* ((c (image 1 5000)) (img (car c)) (l (cadr c)))
  (try \"sliver\" img l))
(let* ((c (image 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 80 60 1 1)
  (try \"one-pixel-selection\" img l))
(let* ((c (image 160 120)) (img (car c))
       (top (car (gimp-layer-new img \"small\" 50 40 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img top 0 0)
  (gradient top 50 40)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 100 80 30 30)
  (try \"selection-outside-layer\" img top))
(let* ((c (image 160 120)) (img (car c)) (l (cadr c))
       (mask (car (gimp-layer-create-mask l ADD-MASK-WHITE))))
  (gimp-layer-add-mask l mask)
  (try \"layer-mask\" img mask))
(let* ((c (image 160 120)) (img (car c))
       (ch (car (gimp-channel-new img \"channel\" 160 120 50 (quote (255 0 0))))))
  (gimp-image-insert-channel img ch 0 0)
  (try \"channel\" img ch))
(let* ((c (image 160 120)) (img (car c)) (l (cadr c)))
  (gimp-image-convert-indexed img CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE 16 FALSE FALSE \"\")
  (try \"indexed\" img l))
(let* ((c (image 160 120)) (img (car c))
       (group (car (gimp-group-layer-new img \"group\")))
       (inner (car (gimp-layer-new img \"inner\" 160 120 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img group 0 0)
  (gimp-image-insert-layer img inner group 0)
  (gradient inner 160 120)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 20 20 60 50)
  (try \"layer-in-group\" img inner))
(gimp-fonts-refresh)   ; batch mode loads fonts in the background: wait for them
(let* ((c (image 160 120)) (img (car c))
       (text (car (gimp-text-layer-new img \"Snow\" (car (gimp-context-get-font)) 48 UNIT-PIXEL))))
  (gimp-image-insert-layer img text 0 0)
  (try \"text-layer\" img text))
(let* ((img (car (gimp-image-new 20000 20000 RGB)))
       (l (car (gimp-layer-new img \"huge\" 20000 20000 RGB-IMAGE 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img l 0 0)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12000 9000 120 90)
  (gradient l 20000 20000)
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 12040 9030 40 30)
  (try \"huge-canvas\" img l))
"
log=$work/gimp.log
se_gimp3_run "$script" "$log"
cat "$log"
se_edge_verify "$log" "$compare"
exit $fail
