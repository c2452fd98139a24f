#!/bin/bash
# Cancelling a run in real GIMP at each phase.  GIMP's Cancel on a plug-in's
# progress closes the plug-in (it is killed: app/plug-in/gimpplugin-progress.c),
# so this test does the same with SIGKILL, once in each phase the plug-in
# reports with SE_VERBOSE=1: loading the model, encoding, inverting,
# editing, decoding.  After each: the call failed, no layer or channel was
# added, the composite is the same, and the image is still clean (nothing
# went on the undo history).  A last run in the same GIMP session works.
#   test-cancel.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=256 SE_VERBOSE=1
. "$(dirname "$0")/gimp-profile.sh"
se_gimp_test_start "$1"
. "$(dirname "$0")/cancel-phases.sh"
watcher=""
trap '[ -n "$watcher" ] && kill $watcher 2>/dev/null; rm -rf "$work"' EXIT

recipe='{\"steps\": 12, \"skip\": 2, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"warmup\": 0}]}'
script="
(define W \"$work/\")
$SE_SCM_HELPERS
(define (items img) (+ (car (gimp-image-get-layers img)) (car (gimp-image-get-channels img))))
(define (run tag)
  (let* ((c (image RGB PRECISION-U8-GAMMA 320 240)) (img (car c)) (l (cadr c)))
    (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 60 40 180 140)
    (composite img (string-append W tag \"-before.png\"))
    (gimp-image-clean-all img)
    (let* ((before (items img))
           (result (catch #f (car (plug-in-semantic-edit RUN-NONINTERACTIVE img l \"$model\" \"$recipe\" 3)))))
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
se_cancel_watch "$log" "$HOME/.config/GIMP/2.10/plug-ins/semantic-edit/semantic-edit"
timeout 900 gimp -i -d -f -b "$script" -b '(gimp-quit 0)' >> "$log" 2>&1
se_cancel_verify "$log" "$compare"
exit $fail
