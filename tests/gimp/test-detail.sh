#!/bin/bash
# Full-resolution results in real GIMP (batch mode, Script-Fu): on a
# 6000x4000 photo-sized image, an edit that changes nothing (target =
# source at the source's guidance, the concept's strength 0) returns a
# layer equal to the original within one level of 255 with "Keep original
# detail" (the recipe's detail key, on by default), and the VAE's round
# trip, scaled, without it (so the comparison can fail).
#   test-detail.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp-profile.sh"
se_gimp_test_start "$1"

unchanged='\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"tar\": \"a photo\", \"cfg_src\": 3.5, \"cfg_tar\": 3.5, \"concepts\": [{\"prompt\": \"snowy\", \"scale\": 0}]'
script="
(define W \"$work/\")
$SE_SCM_HELPERS
; PNG at the fastest compression: these layers have 24 megapixels
(define (save-fast img drawable path) (file-png-save RUN-NONINTERACTIVE img drawable path path 0 1 0 0 0 0 0))
(define (edit-and-save img drawable recipe tag)
  (let ((layer (car (plug-in-semantic-edit RUN-NONINTERACTIVE img drawable \"$model\" recipe 3))))
    (gimp-message (string-append \"SE-DETAIL \" tag \" \"
      (number->string (car (gimp-drawable-width layer))) \"x\" (number->string (car (gimp-drawable-height layer)))))
    (save-fast img layer (string-append W tag \".png\"))
    (gimp-image-remove-layer img layer)))
(let* ((c (image RGB PRECISION-U8-GAMMA 6000 4000)) (img (car c)) (l (cadr c)))
  (save-fast img l (string-append W \"original.png\"))
  (edit-and-save img l \"{$unchanged}\" \"kept\")
  (edit-and-save img l \"{$unchanged, \\\"detail\\\": false}\" \"scaled\")
  (gimp-image-delete img))
(gimp-quit 0)
"
log=$work/gimp.log
start=$(date +%s)
timeout 900 gimp -i -d -f --batch-interpreter plug-in-script-fu-eval -b "$script" > "$log" 2>&1
echo "GIMP ran $(( $(date +%s) - start )) s"
. "$(dirname "$0")/detail-expectations.sh"
se_detail_verify "$log" "$compare"
exit $fail
