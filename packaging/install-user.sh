#!/bin/sh
# Installs the built plug-in for the current user, where GIMP 2.10 finds it:
#   ~/.config/GIMP/2.10/plug-ins/semantic-edit/semantic-edit
# with its translations (locale/), the README with its pictures and the
# help page GIMP's Help opens (help/en/) beside it, where the plug-in looks
# first.  SE_BUILD_DIR=DIR: an existing build
# instead of building ./build.
set -eu
cd "$(dirname "$0")/.."
build=${SE_BUILD_DIR:-build}
[ -x "$build/plug-in/semantic-edit" ] || ./packaging/build.sh
dir="${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/2.10/plug-ins/semantic-edit"
mkdir -p "$dir"
cp "$build/plug-in/semantic-edit" "$dir/semantic-edit"
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
