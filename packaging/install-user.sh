#!/bin/sh
# Installs the built plug-in for the current user, where GIMP 2.10 finds it:
#   ~/.config/GIMP/2.10/plug-ins/semantic-edit/semantic-edit
set -eu
cd "$(dirname "$0")/.."
[ -x build/plug-in/semantic-edit ] || ./packaging/build.sh
dir="${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/2.10/plug-ins/semantic-edit"
mkdir -p "$dir"
cp build/plug-in/semantic-edit "$dir/semantic-edit"
echo "installed $dir/semantic-edit; restart GIMP and use Filters > Semantic Edit..."
