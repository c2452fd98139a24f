#!/bin/sh
# Installs dependencies (unless SE_SKIP_DEPS=1) and builds into ./build.
set -eu
cd "$(dirname "$0")/.."
if [ "${SE_SKIP_DEPS:-0}" != "1" ]; then
  ./packaging/install-deps.sh
fi
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build
