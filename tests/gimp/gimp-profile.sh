# Sourced by the GIMP batch tests (and by tests/ui/gimp-server.sh for the
# window tests): a fresh GIMP profile under $1/home with
# the plug-in $2 installed into it (--installed: the one GIMP finds in its
# system folder, the Debian package's), and the Script-Fu helpers every
# batch test uses, in $SE_SCM_HELPERS.

# The start every batch test shares: sets work (a temporary folder, removed
# on exit unless the test sets its own EXIT trap after this) and model (the
# tiny reference model), and makes the profile there with the plug-in $1.
se_gimp_test_start() {
  model=$SE_REFERENCE_DIR/tiny-sd
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  se_gimp_profile "$work" "$1"
}

se_gimp_profile() {
  # Lavapipe's compiled shaders stay in the caller's cache: under a fresh
  # profile every kernel would be compiled again (about 25 s a test).  Mesa
  # adds mesa_shader_cache to this folder: the cache the other tests fill.
  export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}}"
  export HOME=$1/home
  mkdir -p "$HOME"
  # GIMP makes its profile first, or it skips its set-up (GIMP-NOTES.md)
  timeout 120 gimp -i -d -f -b '(gimp-quit 0)' > /dev/null 2>&1
  if [ "$2" != "--installed" ]; then
    dir=$HOME/.config/GIMP/2.10/plug-ins/semantic-edit
    mkdir -p "$dir" && cp "$2" "$dir/semantic-edit"
  fi
}

SE_SCM_HELPERS='
(define (save img drawable path) (file-png-save RUN-NONINTERACTIVE img drawable path path 0 9 0 0 0 0 0))
(define (composite img path)
  (let ((copy (car (gimp-image-duplicate img))))
    (save copy (car (gimp-image-flatten copy)) path) (gimp-image-delete copy)))
(define (image type precision w h)
  (let* ((img (car (gimp-image-new-with-precision w h type precision)))
         (layer (car (gimp-layer-new img w h (if (= type GRAY) GRAY-IMAGE RGB-IMAGE) "bg" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer 0 0)
    (if (= type GRAY) (plug-in-solid-noise RUN-NONINTERACTIVE img layer 0 0 5 1 4 4)
                      (plug-in-plasma RUN-NONINTERACTIVE img layer 7 1.0))
    (list img layer)))
'
