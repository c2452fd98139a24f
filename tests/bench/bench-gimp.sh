#!/bin/bash
# The GIMP filter end to end, timed (not pass/fail): the plug-in installed in
# a fresh profile, Filters > Semantic Edit run non-interactively on a whole
# plasma layer of WIDTHxHEIGHT at the default working size (512) with STEPS
# steps (30% of them left unedited) and one concept, on MODEL (default: the
# tiny reference model).
# Prints GIMP's bare start and the run with the filter, and their difference.
#   bench-gimp.sh PLUGIN [WIDTH HEIGHT STEPS MODEL]
set -eu
plugin=$1 width=${2:-320} height=${3:-192} steps=${4:-12}
model=${5:-$SE_REFERENCE_DIR/tiny-sd}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home
mkdir -p "$HOME"
timeout 120 gimp -i -d -f -b '(gimp-quit 0)' > /dev/null 2>&1
dir=$HOME/.config/GIMP/2.10/plug-ins/semantic-edit
mkdir -p "$dir" && cp "$plugin" "$dir/semantic-edit"

seconds () { local t0 t1; t0=$(date +%s.%N); "$@" > "$work/log" 2>&1; t1=$(date +%s.%N); awk "BEGIN { print $t1 - $t0 }"; }
skip=$((steps * 3 / 10))     # as the command-line tool's default
recipe="{\\\"steps\\\": $steps, \\\"skip\\\": $skip, \\\"src\\\": \\\"a photo\\\", \\\"concepts\\\": [{\\\"prompt\\\": \\\"snowy\\\"}]}"
image="(let* ((img (car (gimp-image-new $width $height RGB)))
              (layer (car (gimp-layer-new img $width $height RGB-IMAGE \"bg\" 100 LAYER-MODE-NORMAL))))
         (gimp-image-insert-layer img layer 0 0)
         (plug-in-plasma RUN-NONINTERACTIVE img layer 7 1.0)"
bare=$(seconds timeout 600 gimp -i -d -f -b "$image (gimp-image-delete img))" -b '(gimp-quit 0)')
run=$(seconds timeout 3600 gimp -i -d -f -b "$image
  (plug-in-semantic-edit RUN-NONINTERACTIVE img layer \"$model\" \"$recipe\" 1)
  (gimp-message (string-append \"SE-BENCH layers=\" (number->string (car (gimp-image-get-layers img)))))
  (gimp-image-delete img))" -b '(gimp-quit 0)')
if ! grep -q "SE-BENCH layers=2" "$work/log"; then
  echo "the filter did not add its layer:" >&2
  cat "$work/log" >&2
  exit 1
fi
printf 'GIMP %dx%d, %d steps, working size 512: start %.1f s, with the filter %.1f s, filter %.1f s\n' \
  "$width" "$height" "$steps" "$bare" "$run" "$(awk "BEGIN { print $run - $bare }")"
