#!/bin/sh
# The Debian package end to end (run by test.sh after the test suite):
# builds it (build-deb.sh, lintian clean), installs it with apt-get, checks
# the installed files, edits with the installed command-line tool, runs the
# GIMP batch test against the plug-in in GIMP's system folder (no copy into
# a profile), then removes the package and checks that nothing is left.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
reference=${SE_REFERENCE_DIR:-$(cd .. && pwd)/shared/reference}
./packaging/build-deb.sh
deb=$(ls build-deb/gimp-plugin-semantic-edit_*.deb)
work=$(mktemp -d)
cleanup() {
  $SUDO apt-get remove --purge -y gimp-plugin-semantic-edit > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
$SUDO apt-get install -y "./$deb"
dpkg -L gimp-plugin-semantic-edit > "$work/files"

echo "== installed files"
for f in /usr/bin/semantic-edit /usr/lib/gimp/2.0/plug-ins/semantic-edit/semantic-edit \
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
LANGUAGE=ja LANG=C.UTF-8 /usr/bin/semantic-edit --help | grep -q "写真を意味で編集"

echo "== the GIMP batch test against the installed plug-in"
SE_REFERENCE_DIR=$reference ./tests/gimp/test-plugin.sh --installed build/tests/gimp/compare-composite

echo "== removal"
$SUDO apt-get remove --purge -y gimp-plugin-semantic-edit
while read -r f; do
  if [ -f "$f" ] || [ -L "$f" ]; then
    echo "$f is still there after removal"
    exit 1
  fi
done < "$work/files"
echo "the package built, installed, worked and went away cleanly"
