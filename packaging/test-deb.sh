#!/bin/sh
# The Debian package end to end (run by test.sh after the test suite):
# builds it (build-deb.sh, lintian clean), installs it with apt-get, checks
# the installed files, edits with the installed command-line tool, runs the
# GIMP batch test against the plug-in in GIMP's system folder (no copy into
# a profile), then removes the package and checks that nothing is left.
# SE_DEB_GIMP=3: the package for GIMP 3, in packaging/test-gimp3.sh's
# Debian 13 chroot (its tree built in build-gimp3).
set -eu
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
reference=${SE_REFERENCE_DIR:-$(cd .. && pwd)/shared/reference}
if [ "${SE_DEB_GIMP:-2}" = "3" ]; then
  export SE_DEB_OUT=build-deb-gimp3
  plugin_dir=$(pkg-config --variable=gimplibdir gimp-3.0)/plug-ins/semantic-edit
  batch_test="tests/gimp3/test-plugin.sh --installed build-gimp3/tests/gimp3/compare-composite"
else
  export SE_DEB_OUT=build-deb
  plugin_dir=/usr/lib/gimp/2.0/plug-ins/semantic-edit
  batch_test="tests/gimp/test-plugin.sh --installed build/tests/gimp/compare-composite"
fi
./packaging/build-deb.sh
deb=$(ls "$SE_DEB_OUT"/gimp-plugin-semantic-edit_*.deb)
work=$(mktemp -d)
cleanup() {
  $SUDO apt-get remove --purge -y gimp-plugin-semantic-edit > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
$SUDO apt-get install -y "./$deb"
dpkg -L gimp-plugin-semantic-edit > "$work/files"

echo "== installed files"
for f in /usr/bin/semantic-edit "$plugin_dir/semantic-edit" \
         /usr/share/man/man1/semantic-edit.1.gz /usr/share/locale/ja/LC_MESSAGES/semantic-edit.mo \
         /usr/share/doc/gimp-plugin-semantic-edit/README.md /usr/share/doc/gimp-plugin-semantic-edit/copyright \
         /usr/share/doc/gimp-plugin-semantic-edit/help/en/index.html \
         /usr/share/doc/gimp-plugin-semantic-edit/help/en/gimp-help.xml \
         $(./packaging/readme-pictures.sh | sed 's|^|/usr/share/doc/gimp-plugin-semantic-edit/|'); do
  grep -qx "$f" "$work/files" || { echo "the package lacks $f"; exit 1; }
  test -e "$f" || { echo "$f is not installed"; exit 1; }
done
zcat /usr/share/man/man1/semantic-edit.1.gz | grep -q 'output\\-dir' || { echo "the man page lacks --output-dir"; exit 1; }
zcat /usr/share/man/man1/semantic-edit.1.gz | grep -q 'OPTION…' || { echo "the man page lacks [OPTION…]"; exit 1; }
zcat /usr/share/man/man1/semantic-edit.1.gz | grep -q 'LEDITS++' || { echo "the man page does not name LEDITS++"; exit 1; }

echo "== the installed command-line tool"
mkdir -p "$work/in"
cp "$reference/ledits_edit.safetensors" "$work/in/photo.safetensors"
/usr/bin/semantic-edit --version
/usr/bin/semantic-edit -m "$reference/tiny-sd" -i "$work/in/photo.safetensors" -o "$work/out.png" \
  -s "a photo" -c snowy --steps 4 --quiet
test -s "$work/out.png"
# Debian 13's C library ignores LANGUAGE in the C.UTF-8 locale: Japanese's own there
ja_lang=C.UTF-8
if locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
  ja_lang=ja_JP.UTF-8
fi
LANGUAGE=ja LANG=$ja_lang /usr/bin/semantic-edit --help | grep -q "写真を意味で編集"

if [ "${SE_DEB_GIMP:-2}" = "3" ]; then
  # GIMP 3 reads the translations from a folder inside the plug-in's
  [ "$(readlink -f "$plugin_dir/locale")" = /usr/share/locale ] || { echo "$plugin_dir/locale is not a link to /usr/share/locale"; exit 1; }
fi

echo "== the GIMP batch test against the installed plug-in"
# shellcheck disable=SC2086
SE_REFERENCE_DIR=$reference ./$batch_test

echo "== removal"
$SUDO apt-get remove --purge -y gimp-plugin-semantic-edit
while read -r f; do
  if [ -f "$f" ] || [ -L "$f" ]; then
    echo "$f is still there after removal"
    exit 1
  fi
done < "$work/files"
echo "the package built, installed, worked and went away cleanly"
