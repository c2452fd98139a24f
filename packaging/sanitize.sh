#!/bin/sh
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# into ./build-asan and run there (part of the test command): every suite but
# the GTK dialog tests (GTK 2's process-lifetime caches are not yet
# suppressed) and the benchmarks.  A sanitizer report fails its test; the
# only suppressions (tests/sanitizers.supp) name lavapipe, LLVM and the
# validation layer.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-asan
meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite ui "$@"
