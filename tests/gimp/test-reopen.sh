#!/bin/bash
# Re-openable edits in real GIMP (batch mode, Script-Fu): a result layer
# carries its edit as a persistent parasite that survives saving the image
# as XCF and loading it again; a with-last-values run on the result layer
# re-applies its own recipe (not the last values, which another edit has
# changed meanwhile) onto its source layer, replacing the result's pixels in
# place (same layer, name and mask; the source untouched); and with the
# source layer deleted it ends with a message and changes nothing.  An XCF
# whose layer carries a hostile record (JSON nested 100000 deep, which
# would overflow json-glib's stack) and a hostile settings file end in a
# message, not a crash.
# (The dialog re-opened interactively, and one Ctrl+Z, are in
# tests/ui/test-gimp-reopen.sh.)
#   test-reopen.sh PLUGIN COMPARE-COMPOSITE
set -u
compare=$2
export SE_WORKING_SIZE=128
. "$(dirname "$0")/gimp-profile.sh"
se_gimp_test_start "$1"

first='{\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"scale\": 5, \"warmup\": 0}]}'
other='{\"steps\": 2, \"skip\": 1, \"tar\": \"a painting\"}'
script="
(define W \"$work/\")
$SE_SCM_HELPERS
(define (say . parts) (gimp-message (apply string-append \"SE-REOPEN \" parts)))
(define (record layer)
  (let ((p (catch #f (car (gimp-item-get-parasite layer \"semantic-edit-record\")))))
    (if p (caddr p) \"none\")))
(define (layer-count img) (number->string (car (gimp-image-get-layers img))))
(define (top img) (vector-ref (cadr (gimp-image-get-layers img)) 0))

; 1: an edit, saved as XCF with its record, and the image closed
(let* ((c (image RGB PRECISION-U8-GAMMA 200 150)) (img (car c)) (base (cadr c)))
  (gimp-item-set-name base \"base\")
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 50 40 80 60)
  (let ((result (car (plug-in-semantic-edit RUN-NONINTERACTIVE img base \"$model\" \"$first\" 3))))
    (say \"made record=\" (record result))
    (save img result (string-append W \"result-made.png\"))
    (gimp-xcf-save RUN-NONINTERACTIVE img result (string-append W \"edit.xcf\") (string-append W \"edit.xcf\"))
    (gimp-image-delete img)))

; 2: another edit elsewhere: the last values are now another recipe
(let* ((c (image RGB PRECISION-U8-GAMMA 64 64)) (img (car c)) (l (cadr c)))
  (plug-in-semantic-edit RUN-NONINTERACTIVE img l \"$model\" \"$other\" 9)
  (gimp-image-delete img))

; 3: the XCF loaded again: the record is there, naming the base layer
(let* ((img (car (gimp-xcf-load RUN-NONINTERACTIVE (string-append W \"edit.xcf\") (string-append W \"edit.xcf\"))))
       (result (top img)) (base (vector-ref (cadr (gimp-image-get-layers img)) 1)))
  (say \"loaded layers=\" (layer-count img) \" record=\" (record result))
  (say \"base-tattoo=\" (number->string (car (gimp-item-get-tattoo base))))
  (save img base (string-append W \"base-before.png\"))
  ; the result's pixels spoiled, then its edit re-applied with last values
  (gimp-drawable-fill result FILL-WHITE)
  (let ((again (car (plug-in-semantic-edit RUN-WITH-LAST-VALS img result \"\" \"\" 0))))
    (say \"reapplied same-layer=\" (if (= again result) \"yes\" \"no\") \" layers=\" (layer-count img)
         \" name=\" (car (gimp-item-get-name result))
         \" mask=\" (if (> (car (gimp-layer-get-mask result)) 0) \"yes\" \"no\")))
  (save img result (string-append W \"result-reapplied.png\"))
  (save img base (string-append W \"base-after.png\"))
  ; 4: without its source layer the edit cannot be re-opened
  (gimp-image-remove-layer img base)
  (gimp-image-clean-all img)
  (say \"orphan \" (if (catch #f (plug-in-semantic-edit RUN-WITH-LAST-VALS img result \"\" \"\" 0)) \"ran\" \"error\")
       \" layers=\" (layer-count img) \" dirty=\" (if (= (car (gimp-image-is-dirty img)) TRUE) \"yes\" \"no\"))
  (gimp-image-delete img))

; 5: an XCF anyone could send: a layer whose record is nested 100000 deep
(let* ((c (image RGB PRECISION-U8-GAMMA 64 64)) (img (car c)) (l (cadr c))
       (deep (string-append \"{\\\"model\\\": \" (make-string 100000 #\\[) (make-string 100000 #\\]) \"}\")))
  (gimp-item-attach-parasite l (list \"semantic-edit-record\" 1 deep))
  (gimp-xcf-save RUN-NONINTERACTIVE img l (string-append W \"hostile.xcf\") (string-append W \"hostile.xcf\"))
  (gimp-image-delete img))
(let* ((img (car (gimp-xcf-load RUN-NONINTERACTIVE (string-append W \"hostile.xcf\") (string-append W \"hostile.xcf\"))))
       (l (top img)))
  (gimp-image-clean-all img)
  (say \"hostile-record \" (if (catch #f (plug-in-semantic-edit RUN-WITH-LAST-VALS img l \"\" \"\" 0)) \"ran\" \"error\")
       \" dirty=\" (if (= (car (gimp-image-is-dirty img)) TRUE) \"yes\" \"no\"))
  (gimp-image-delete img))
(gimp-quit 0)
"
log=$work/gimp.log
timeout 600 gimp -i -d -f --batch-interpreter plug-in-script-fu-eval -b "$script" > "$log" 2>&1
fail=0
check() { grep -q -- "$1" "$log" || { echo "FAIL: $2"; fail=1; }; }
check 'SE-REOPEN made record={"version":1,"recipe":{' "the result layer carries no record"
check '"prompt":"snowy","scale":5' "the record does not hold the recipe"
check 'SE-REOPEN loaded layers=2 record={"version":1' "the record did not survive the XCF"
tattoo=$(sed -n 's/.*SE-REOPEN base-tattoo=\([0-9]*\).*/\1/p' "$log")
check "\"source_tattoo\":$tattoo}" "the record does not name the base layer's tattoo ($tattoo)"
check '"seed":3,"candidate":0,"working_size":128' "the record's seed, candidate or working size is wrong"
check "SE-REOPEN reapplied same-layer=yes layers=2 name=Semantic Edit: +snowy mask=yes" \
  "with last values the result layer was not updated in place (name and mask kept)"
if [ -f "$work/result-reapplied.png" ]; then
  "$compare" SAME "$work/result-made.png" "$work/result-reapplied.png" ||
    { echo "FAIL: re-applied, the layer is not the edit its record describes"; fail=1; }
  "$compare" SAME "$work/base-before.png" "$work/base-after.png" || { echo "FAIL: the source layer changed"; fail=1; }
fi
check "SE-REOPEN orphan error layers=1 dirty=no" "without its source the re-opened edit did not fail cleanly"
check "The layer this edit was made from is gone" "the message for a missing source is missing"
check "SE-REOPEN hostile-record error dirty=no" "a deeply nested record did not end in a clean error"
check "record cannot be read (nested more than 64 levels" "the message for a deeply nested record is missing"

# the last values' file nested as deep: the run starts from defaults (here:
# no model is set) instead of crashing
deep=$(head -c 100000 /dev/zero | tr '\0' '[')$(head -c 100000 /dev/zero | tr '\0' ']')
printf '{"model": %s}' "$deep" > "$HOME/.config/GIMP/2.10/semantic-edit.json"
script2="
(let* ((img (car (gimp-image-new 64 64 RGB)))
       (l (car (gimp-layer-new img 64 64 RGB-IMAGE \"l\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img l 0 0)
  (gimp-message (string-append \"SE-SETTINGS \"
    (if (catch #f (plug-in-semantic-edit RUN-WITH-LAST-VALS img l \"\" \"\" 0)) \"ran\" \"error\")))
  (gimp-image-delete img))
(gimp-quit 0)
"
SE_MODEL= timeout 300 gimp -i -d -f --batch-interpreter plug-in-script-fu-eval -b "$script2" > "$work/gimp2.log" 2>&1
grep -q "SE-SETTINGS error" "$work/gimp2.log" && grep -q "No model is set" "$work/gimp2.log" &&
  ! grep -qi "crashed" "$work/gimp2.log" ||
  { echo "FAIL: a deeply nested settings file did not end in the no-model message"; cat "$work/gimp2.log"; fail=1; }
[ $fail = 0 ] || cat "$log"
exit $fail
