#!/bin/bash
# packaging/install-user.sh: the plug-in, its translations and the README
# with every picture it shows land in the user's GIMP plug-in folder, and
# GIMP, started in Japanese, runs that plug-in speaking Japanese (its
# catalogue found beside the binary: nothing is installed system-wide).
# A -Dgimp=3 build (tests/gimp3/) installs into GIMP 3's folder, and GIMP 3
# runs it.
#   test-install-user.sh INSTALL-USER-SH BUILD-DIR SOURCE-DIR
set -u
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
if [ -x "$2/plug-in/gimp3/semantic-edit" ]; then
  version=$(pkg-config --modversion gimp-3.0 | cut -d. -f1,2)
  gimp_batch=(gimp-console-3.0 -i -d -f --quit --batch-interpreter=plug-in-script-fu-eval)
  call='(plug-in-semantic-edit #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector layer)
                               #:model "/no/such/model" #:recipe "" #:seed 1)'
  new_layer='(gimp-layer-new img "photo" 64 64 RGB-IMAGE 100 LAYER-MODE-NORMAL)'
else
  version=2.10
  gimp_batch=(gimp -i -d -f)
  call='(plug-in-semantic-edit RUN-NONINTERACTIVE img layer "/no/such/model" "" 1)'
  new_layer='(gimp-layer-new img 64 64 RGB-IMAGE "photo" 100 LAYER-MODE-NORMAL)'
fi
# GIMP makes its profile first, or it skips its set-up (GIMP-NOTES.md)
timeout 120 "${gimp_batch[@]}" -b '(gimp-quit 0)' > /dev/null 2>&1
SE_BUILD_DIR=$2 "$1" || fail "install-user.sh failed"
dir=$XDG_CONFIG_HOME/GIMP/$version/plug-ins/semantic-edit
for f in semantic-edit locale/ja/LC_MESSAGES/semantic-edit.mo README.md help/en/index.html help/en/gimp-help.xml \
         $(cd "$3" && ./packaging/readme-pictures.sh); do
  [ -s "$dir/$f" ] || fail "$dir/$f is missing"
  echo "installed: $f"
done

LANGUAGE=ja LC_ALL=${SE_JA_LOCALE:-C.UTF-8} timeout 300 "${gimp_batch[@]}" -b "
(let* ((img (car (gimp-image-new 64 64 RGB)))
       (layer (car $new_layer)))
  (gimp-image-insert-layer img layer 0 0)
  (catch #f $call)
  (gimp-image-delete img))" -b '(gimp-quit 0)' > "$work/gimp.log" 2>&1
cat "$work/gimp.log"
grep -q "/no/such/model: そのようなモデルファイルやフォルダーはありません" "$work/gimp.log" ||
  fail "the plug-in did not answer in Japanese"
echo PASS
