#!/bin/bash
# The GIMP 3 twin of tests/gimp/test-detail.sh: full-resolution results in
# real GIMP 3 (batch mode): on a 6000x4000 photo-sized image, an edit that
# changes nothing (target = source at the source's guidance, the concept's
# strength 0) returns a layer equal to the original within one level of
# 255 with "Keep original detail" (the recipe's detail key, on by
# default), and the VAE's round trip, scaled, without it (so the
# comparison can fail).
#   test-detail.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp3-profile.sh"
se_gimp3_test_start "$1"

unchanged='\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"tar\": \"a photo\", \"cfg_src\": 3.5, \"cfg_tar\": 3.5, \"concepts\": [{\"prompt\": \"snowy\", \"scale\": 0}]'
script="
(define W \"$work/\")
$SE_SCM3_HELPERS
; PNG at the fastest compression: these layers have 24 megapixels
(define (save-fast img drawable path)
  (let* ((copy (car (gimp-image-new 6000 4000 RGB))) (layer (car (gimp-layer-new-from-drawable drawable copy))))
    (gimp-image-insert-layer copy layer 0 0)
    (gimp-layer-set-offsets layer 0 0)
    (file-png-export #:run-mode RUN-NONINTERACTIVE #:image copy #:file path #:compression 1)
    (gimp-image-delete copy)))
(define (edit-and-save img drawable recipe tag)
  (let ((layer (car (plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector drawable)
                                           #:model \"$model\" #:recipe recipe #:seed 3))))
    (gimp-message (string-append \"SE-DETAIL \" tag \" \" (number->string (car (gimp-drawable-get-width layer))) \"x\"
                                 (number->string (car (gimp-drawable-get-height layer)))))
    (save-fast img layer (string-append W tag \".png\"))
    (gimp-image-remove-layer img layer)))
(let* ((c (image 6000 4000)) (img (car c)) (l (cadr c)))
  (save-fast img l (string-append W \"original.png\"))
  (edit-and-save img l \"{$unchanged}\" \"kept\")
  (edit-and-save img l \"{$unchanged, \\\"detail\\\": false}\" \"scaled\")
  (gimp-image-delete img))
"
log=$work/gimp.log
start=$(date +%s)
se_gimp3_run "$script" "$log"
echo "GIMP 3 ran $(( $(date +%s) - start )) s"
. "$(dirname "$0")/../gimp/detail-expectations.sh"
se_detail_verify "$log" "$compare"
exit $fail
