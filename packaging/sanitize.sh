#!/bin/sh
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# into ./build-asan and run there (part of the test command): every suite
# (the benchmarks are not tests).  A sanitizer report fails its test; the
# only suppressions (tests/sanitizers.supp) name lavapipe, LLVM, the
# validation layer and GTK 2's text stack; the GTK dialog tests but the
# Japanese one run without leak detection (tests/ui/meson.build says why).
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-asan
meson test -C build-asan --print-errorlogs --num-processes 2 "$@"
