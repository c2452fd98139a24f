#!/bin/sh
# Installs the built plug-in for the current user, where GIMP finds it:
#   ~/.config/GIMP/2.10/plug-ins/semantic-edit/semantic-edit   (GIMP 2.10)
#   ~/.config/GIMP/3.0/plug-ins/semantic-edit/semantic-edit    (a -Dgimp=3
#     build; GIMP 3.2 reads 3.2/: the version libgimp-3.0 has, or
#     SE_GIMP_VERSION=3.2)
# with its translations (locale/, where GIMP 3 requires them), the README
# with its pictures and the help page GIMP's Help opens (help/en/) beside
# it, where the plug-in looks first.  SE_BUILD_DIR=DIR: an existing build
# instead of building ./build.
set -eu
cd "$(dirname "$0")/.."
build=${SE_BUILD_DIR:-build}
if [ -x "$build/plug-in/gimp3/semantic-edit" ]; then
  binary=$build/plug-in/gimp3/semantic-edit
  version=${SE_GIMP_VERSION:-$(pkg-config --modversion gimp-3.0 2>/dev/null | cut -d. -f1,2)}
  version=${version:-3.0}
else
  [ -x "$build/plug-in/semantic-edit" ] || ./packaging/build.sh
  binary=$build/plug-in/semantic-edit
  version=2.10
fi
dir="${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/$version/plug-ins/semantic-edit"
mkdir -p "$dir"
cp "$binary" "$dir/semantic-edit"
for mo in "$build"/po/*/LC_MESSAGES/semantic-edit.mo; do
  [ -f "$mo" ] || continue
  lang=$(basename "$(dirname "$(dirname "$mo")")")
  mkdir -p "$dir/locale/$lang/LC_MESSAGES"
  cp "$mo" "$dir/locale/$lang/LC_MESSAGES/"
done
cp README.md "$dir/"
mkdir -p "$dir/help/en"
cp "$build/ui/help/index.html" ui/help/gimp-help.xml "$dir/help/en/"
./packaging/readme-pictures.sh | while read -r picture; do
  mkdir -p "$dir/$(dirname "$picture")"
  cp "$picture" "$dir/$picture"
done
echo "installed $dir/semantic-edit; restart GIMP and use Filters > Semantic Edit..."
