# Sourced by the GIMP 3 batch tests: a fresh GIMP 3 profile with the
# plug-in installed, and the Script-Fu helpers they share ($SE_SCM3_HELPERS;
# GIMP 3's Script-Fu: named arguments, layer lists as vectors, colors as
# '(r g b); plug-in-plasma is gone, so images get a gradient).

# Sets work (a temporary folder, removed on exit unless the test sets its
# own EXIT trap after this), model (the tiny reference model) and plugin
# (the plug-in's path), and makes the profile with the plug-in $1 (or,
# with --installed, none: GIMP finds the Debian package's in its system
# folder).
se_gimp3_test_start() {
  model=$SE_REFERENCE_DIR/tiny-sd
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # lavapipe's compiled shaders stay in the caller's cache (tests/gimp/gimp-profile.sh)
  export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}}"
  export HOME=$work/home
  mkdir -p "$HOME"
  # GIMP makes its profile first, or it skips its set-up
  timeout 120 gimp-console-3.0 -i -d -f --batch-interpreter=plug-in-script-fu-eval -b '(gimp-quit 0)' \
    > /dev/null 2>&1
  if [ "$1" = "--installed" ]; then
    plugin=$(pkg-config --variable=gimplibdir gimp-3.0)/plug-ins/semantic-edit/semantic-edit
  else
    plugin=$HOME/.config/GIMP/3.0/plug-ins/semantic-edit/semantic-edit
    mkdir -p "$(dirname "$plugin")" && cp "$1" "$plugin"
  fi
}

# Runs the Script-Fu $1 in GIMP 3 (batch mode), appending its output to the log $2.
se_gimp3_run() {
  timeout 900 gimp-console-3.0 -i -d -f --quit --batch-interpreter=plug-in-script-fu-eval -b "$1" \
    -b '(gimp-quit 0)' >> "$2" 2>&1
}

SE_SCM3_HELPERS='
(define (save img path) (gimp-file-save RUN-NONINTERACTIVE img path -1))
(define (save-drawable img drawable path)
  (let* ((copy (car (gimp-image-new (car (gimp-image-get-width img)) (car (gimp-image-get-height img)) RGB)))
         (layer (car (gimp-layer-new-from-drawable drawable copy))))
    (gimp-image-insert-layer copy layer 0 0)
    (gimp-layer-set-offsets layer 0 0)
    (save copy path)
    (gimp-image-delete copy)))
(define (composite img path)
  (let ((copy (car (gimp-image-duplicate img))))
    (gimp-image-flatten copy) (save copy path) (gimp-image-delete copy)))
(define (say . parts) (gimp-message (apply string-append "SE-TEST " parts)))
(define (gradient drawable w h)
  (gimp-context-set-gradient-fg-bg-rgb)
  (gimp-context-set-foreground (quote (200 60 30)))
  (gimp-context-set-background (quote (20 90 220)))
  (gimp-drawable-edit-gradient-fill drawable GRADIENT-LINEAR 0 FALSE 1 0 TRUE 0 0 w h))
(define (image w h)
  (let* ((img (car (gimp-image-new w h RGB)))
         (layer (car (gimp-layer-new img "bg" w h RGB-IMAGE 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer 0 0)
    (gradient layer w h)
    (list img layer)))
(define (layers img) (vector-length (car (gimp-image-get-layers img))))
(define (has-mask layer) (> (car (gimp-layer-get-mask layer)) 0))
(define (edit img drawable model recipe)
  (car (plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector drawable)
                              #:model model #:recipe recipe #:seed 3)))
'
