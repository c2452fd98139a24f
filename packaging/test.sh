#!/bin/sh
# The test command (README, .ci/run): dependencies, build, every test.
# Tests read the reference model in place from ../shared/reference.
set -eu
cd "$(dirname "$0")/.."
./packaging/build.sh
meson test -C build --print-errorlogs --num-processes 2 "$@"
