#!/bin/sh
# The main job: install dependencies, build, and run Filters > Semantic Edit
# headlessly through GIMP on a photo (Script-Fu batch mode).
#   ./packaging/run.sh [PHOTO]
# SE_MODEL=PATH picks your Stable Diffusion 1.x model (diffusers folder or
# single .safetensors).  Without it the tiny random-weight reference model in
# ../shared/reference is used, and the result is noise, not an edit.
# Without PHOTO a plasma test picture is generated.  The result (the photo
# with the new masked layer, flattened) is written to semantic-edit-result.png
# (SE_RESULT=PATH: there instead); an older one is removed first, so a
# failed edit exits non-zero and leaves none.  SE_BUILD_DIR=DIR: use that
# existing build instead of installing and building into ./build (a
# -Dgimp=3 build runs the edit in GIMP 3).
set -eu
cd "$(dirname "$0")/.."
build=${SE_BUILD_DIR:-build}
if [ "$build" = build ]; then ./packaging/build.sh; fi
top=$(pwd)
out=${SE_RESULT:-$top/semantic-edit-result.png}
rm -f "$out"
if [ -n "${SE_MODEL:-}" ]; then
  model=$SE_MODEL
else
  model=$(cd "${SE_REFERENCE_DIR:-../shared/reference}/tiny-sd" && pwd)
  echo "SE_MODEL is not set: using the tiny RANDOM-WEIGHT test model ($model)."
  echo "Its output is noise; set SE_MODEL to real SD 1.x weights for a real edit."
  export SE_WORKING_SIZE=${SE_WORKING_SIZE:-256}
fi
recipe='{\"steps\": 20, \"skip\": 5, \"src\": \"a photo\", \"concepts\": [{\"prompt\": \"snowy\", \"scale\": 6}]}'
# a private GIMP profile with the plug-in, so the user's own is untouched
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
quiet() { grep -v -e '^using gegl' -e 'GeglBuffers leaked' -e 'gegl_tile_cache_destroy' || true; }
if [ -x "$build/plug-in/gimp3/semantic-edit" ]; then
  # a -Dgimp=3 build: the same edit in GIMP 3 (its Script-Fu takes named
  # arguments; plasma is gone, so the test picture is a gradient).  Its
  # console is noisy (warnings of its own, the failed script echoed): only
  # its errors are shown.
  errors_only() { awk '/^GIMP-Error/ { show = 1 } show && /^$/ { show = 0 } show { print }'; }
  gimp3() { HOME=$profile timeout 3600 gimp-console-3.0 -i -d -f --quit --batch-interpreter=plug-in-script-fu-eval "$@"; }
  gimp3 -b '(gimp-quit 0)' > /dev/null 2>&1 || true
  mkdir -p "$profile/.config/GIMP/3.0/plug-ins/semantic-edit"
  cp "$build/plug-in/gimp3/semantic-edit" "$profile/.config/GIMP/3.0/plug-ins/semantic-edit/"
  if [ $# -gt 0 ]; then
    photo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    open="(car (gimp-file-load RUN-NONINTERACTIVE \"$photo\"))"
  else
    open="(let* ((i (car (gimp-image-new 512 384 RGB))) (l (car (gimp-layer-new i \"photo\" 512 384 RGB-IMAGE 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer i l 0 0) (gimp-context-set-foreground (quote (200 60 30))) (gimp-context-set-background (quote (20 90 220))) (gimp-drawable-edit-gradient-fill l GRADIENT-LINEAR 0 FALSE 1 0 TRUE 0 0 512 384) i)"
  fi
  gimp3 -b "
(let* ((img $open)
       (layer (vector-ref (car (gimp-image-get-layers img)) 0)))
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 24 24)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE
    (/ (car (gimp-image-get-width img)) 4) (/ (car (gimp-image-get-height img)) 4)
    (/ (car (gimp-image-get-width img)) 2) (/ (car (gimp-image-get-height img)) 2))
  (plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector layer)
                         #:model \"$model\" #:recipe \"$recipe\" #:seed 1)
  (gimp-image-flatten img)
  (gimp-file-save RUN-NONINTERACTIVE img \"$out\" -1)
  (gimp-image-delete img))" -b '(gimp-quit 0)' 2>&1 | errors_only
else
  HOME=$profile timeout 120 gimp -i -d -f -b '(gimp-quit 0)' > /dev/null 2>&1 || true
  mkdir -p "$profile/.config/GIMP/2.10/plug-ins/semantic-edit"
  cp "$build/plug-in/semantic-edit" "$profile/.config/GIMP/2.10/plug-ins/semantic-edit/"
  if [ $# -gt 0 ]; then
    photo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    open="(car (gimp-file-load RUN-NONINTERACTIVE \"$photo\" \"$photo\"))"
  else
    open="(let* ((i (car (gimp-image-new 512 384 RGB))) (l (car (gimp-layer-new i 512 384 RGB-IMAGE \"photo\" 100 LAYER-MODE-NORMAL)))) (gimp-image-insert-layer i l 0 0) (plug-in-plasma RUN-NONINTERACTIVE i l 1 2.0) i)"
  fi
  # (a failed edit leaves its image behind, and GEGL lists leaks at quit)
  HOME=$profile timeout 3600 gimp -i -d -f -b "
(let* ((img $open)
       (layer (car (gimp-image-get-active-drawable img))))
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 24 24)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE
    (/ (car (gimp-image-width img)) 4) (/ (car (gimp-image-height img)) 4)
    (/ (car (gimp-image-width img)) 2) (/ (car (gimp-image-height img)) 2))
  (plug-in-semantic-edit RUN-NONINTERACTIVE img layer \"$model\" \"$recipe\" 1)
  (let ((flat (car (gimp-image-flatten img))))
    (file-png-save RUN-NONINTERACTIVE img flat \"$out\" \"$out\" 0 9 0 0 0 0 0))
  (gimp-image-delete img))" -b '(gimp-quit 0)' 2>&1 | quiet
fi
if [ -s "$out" ]; then
  echo "wrote $out: the photo with the edit as a new masked layer, flattened"
else
  echo "the edit failed (see the messages above)" >&2
  exit 1
fi
