#!/bin/bash
# The GIMP 3 twin of tests/gimp/test-cancel.sh: GIMP's Cancel on a
# plug-in's progress ends the plug-in, so the test kills it (SIGKILL) once
# in each phase the plug-in reports with SE_VERBOSE=1: loading the model,
# encoding, inverting, editing, decoding.  After each: the call failed, no
# layer or channel was added, the composite is the same, and the image is
# still clean.  A last run in the same GIMP session works.
#   test-cancel.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=256 SE_VERBOSE=1
. "$(dirname "$0")/gimp3-profile.sh"
se_gimp3_test_start "$1"
. "$(dirname "$0")/../gimp/cancel-phases.sh"
watcher=""
trap '[ -n "$watcher" ] && kill $watcher 2>/dev/null; rm -rf "$work"' EXIT

recipe='{\"steps\": 12, \"skip\": 2, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define W \"$work/\")
$SE_SCM3_HELPERS
(define (items img) (+ (layers img) (vector-length (car (gimp-image-get-channels img)))))
(define (run tag)
  (let* ((c (image 320 240)) (img (car c)) (l (cadr c)))
    (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 60 40 180 140)
    (composite img (string-append W tag \"-before.png\"))
    (gimp-image-clean-all img)
    (let* ((before (items img))
           (result (catch #f (edit img l \"$model\" \"$recipe\"))))
      (composite img (string-append W tag \"-after.png\"))
      (gimp-message (string-append \"SE-CANCEL \" tag (if result \" ok\" \" error\")
        \" added=\" (number->string (- (items img) before))
        \" dirty=\" (if (= (car (gimp-image-is-dirty img)) TRUE) \"yes\" \"no\"))))
    (gimp-image-delete img)))
$(for p in $phases; do echo "(run \"$p\")"; done)
(run \"after\")
"
log=$work/gimp.log
: > "$log"
se_cancel_watch "$log" "$plugin"
se_gimp3_run "$script" "$log"
se_cancel_verify "$log" "$compare"
exit $fail
