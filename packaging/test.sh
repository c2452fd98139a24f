#!/bin/sh
# The test command (README, .ci/run): dependencies, build, every test; the
# tests again under ASan and UBSan (sanitize.sh); the fuzz harnesses'
# corpora and bursts (fuzz.sh); the Debian package built, installed, tested
# and removed (test-deb.sh); the GIMP 3 build and its tests in a Debian 13
# chroot (test-gimp3.sh).
# Tests read the reference model in place from ../shared/reference.
set -eu
cd "$(dirname "$0")/.."
./packaging/build.sh
meson test -C build --print-errorlogs --num-processes 2 "$@"
./packaging/sanitize.sh
./packaging/fuzz.sh
./packaging/test-deb.sh
./packaging/test-gimp3.sh
