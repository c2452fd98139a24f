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
watcher=""
trap '[ -n "$watcher" ] && kill $watcher 2>/dev/null; rm -rf "$work"' EXIT
phases="load encode invert edit decode"

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
# the watcher: for the k-th run, wait for its phase line (after what the
# runs before wrote), then kill the plug-in as GIMP's Cancel would
(
  seen=0
  for p in $phases; do
    for _ in $(seq 3000); do
      line=$(tail -n +$((seen + 1)) "$log" | grep -n -m1 "semantic-edit: phase $p at" | cut -d: -f1)
      [ -n "$line" ] && break
      sleep 0.01
    done
    [ -n "$line" ] || { echo "WATCHER: phase $p never came" >> "$work/killed"; exit 1; }
    # this profile's plug-in only: other tests may run theirs meanwhile
    pkill -KILL -f "$HOME/.config/GIMP/2.10/plug-ins/semantic-edit/semantic-edit" && echo "killed in $p" >> "$work/killed"
    seen=$((seen + line))
    # the next run starts once this one's failure is reported
    until tail -n +$((seen + 1)) "$log" | grep -q "SE-CANCEL $p"; do sleep 0.05; done
    seen=$(wc -l < "$log")
  done
) &
watcher=$!
timeout 900 gimp -i -d -f -b "$script" -b '(gimp-quit 0)' >> "$log" 2>&1
wait $watcher
watcher=""
cat "$log" "$work/killed"
fail=0
for p in $phases; do
  grep -q "^killed in $p$" "$work/killed" || { echo "FAIL: $p: the plug-in was not killed in that phase"; fail=1; continue; }
  # the last phase the killed run reported is the one it was killed in
  last=$(awk -v p="$p" '/SE-CANCEL/ { if (index($0, "SE-CANCEL " p " ")) exit } /semantic-edit: phase/ { l = $3 } END { print l }' "$log")
  [ "$last" = "$p" ] || { echo "FAIL: $p: the run got to phase $last before it was killed"; fail=1; }
  grep -q "SE-CANCEL $p error added=0 dirty=no" "$log" || { echo "FAIL: $p: the cancelled run left a layer or a dirty image"; fail=1; }
  "$compare" SAME "$work/$p-before.png" "$work/$p-after.png" || { echo "FAIL: $p: the image changed"; fail=1; }
done
grep -q "SE-CANCEL after ok added=1 dirty=yes" "$log" || { echo "FAIL: the run after the cancelled ones did not work"; fail=1; }
exit $fail
