#!/bin/bash
# packaging/install-user.sh: the plug-in, its translations and the README
# with every picture it shows land in the user's GIMP plug-in folder, and
# GIMP, started in Japanese, runs that plug-in speaking Japanese (its
# catalogue found beside the binary: nothing is installed system-wide).
#   test-install-user.sh INSTALL-USER-SH BUILD-DIR SOURCE-DIR
set -u
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
# GIMP makes its profile first, or it skips its set-up (GIMP-NOTES.md)
timeout 120 gimp -i -d -f -b '(gimp-quit 0)' > /dev/null 2>&1
SE_BUILD_DIR=$2 "$1" || fail "install-user.sh failed"
dir=$XDG_CONFIG_HOME/GIMP/2.10/plug-ins/semantic-edit
for f in semantic-edit locale/ja/LC_MESSAGES/semantic-edit.mo README.md help/en/index.html help/en/gimp-help.xml \
         $(cd "$3" && ./packaging/readme-pictures.sh); do
  [ -s "$dir/$f" ] || fail "$dir/$f is missing"
  echo "installed: $f"
done

LANGUAGE=ja LC_ALL=C.UTF-8 timeout 300 gimp -i -d -f -b "
(let* ((img (car (gimp-image-new 64 64 RGB)))
       (layer (car (gimp-layer-new img 64 64 RGB-IMAGE \"photo\" 100 LAYER-MODE-NORMAL))))
  (gimp-image-insert-layer img layer 0 0)
  (catch #f (plug-in-semantic-edit RUN-NONINTERACTIVE img layer \"/no/such/model\" \"\" 1))
  (gimp-image-delete img))" -b '(gimp-quit 0)' > "$work/gimp.log" 2>&1
cat "$work/gimp.log"
grep -q "/no/such/model: そのようなモデルファイルやフォルダーはありません" "$work/gimp.log" ||
  fail "the plug-in did not answer in Japanese"
echo PASS
