#!/bin/bash
# An edit saved by GIMP 2.10, for the GIMP 3 re-open test
# (tests/gimp3/test-reopen.sh, SE_XCF_210): run on the Debian 12 host by
# packaging/test-gimp3.sh with the GIMP 2.10 plug-in built there.  Writes
# OUT.xcf (a base layer and the edit's result layer above it, with its
# record) and OUT-result.png (the result layer).  The recipe has no SEGA
# concept, so GIMP 3 on another LLVM must give the same edit within a level.
#   make-xcf-210.sh PLUGIN OUT.xcf
set -eu
out=$2
. "$(dirname "$0")/../gimp/gimp-profile.sh"
export SE_WORKING_SIZE=128
se_gimp_test_start "$1"
recipe='{\"steps\": 3, \"skip\": 1, \"src\": \"a photo\", \"tar\": \"a painting\"}'
script="
$SE_SCM_HELPERS
(let* ((c (image RGB PRECISION-U8-GAMMA 200 150)) (img (car c)) (base (cadr c)))
  (gimp-item-set-name base \"base\")
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 50 40 80 60)
  (let ((result (car (plug-in-semantic-edit RUN-NONINTERACTIVE img base \"$model\" \"$recipe\" 3))))
    (save img result \"${out%.xcf}-result.png\")
    (gimp-xcf-save RUN-NONINTERACTIVE img result \"$out\" \"$out\")))
(gimp-quit 0)
"
timeout 600 gimp -i -d -f --batch-interpreter plug-in-script-fu-eval -b "$script" > "$work/gimp.log" 2>&1 ||
  { cat "$work/gimp.log"; exit 1; }
[ -s "$out" ] && [ -s "${out%.xcf}-result.png" ] || { cat "$work/gimp.log"; echo "no XCF made"; exit 1; }
