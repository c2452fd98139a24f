#!/bin/sh
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# into ./build-asan and run there (part of the test command).  A sanitizer
# report fails its test; the only suppressions (tests/sanitizers.supp) name
# lavapipe, LLVM, the validation layer and GTK 2's text stack; the GTK
# dialog tests but the Japanese one run without leak detection
# (tests/ui/meson.build says why).
# The tests of the `host-covered` suite are left out: every line of our C
# code they run, the tests kept run too (tests/sanitizer-coverage.py
# measures it), and the sanitizers only see our C code, not the GPU work
# lavapipe does.  SE_TEST_FULL=1 runs every test, and walks every fault
# point (tests/ledits/test_faults.c).
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-asan
if [ "${SE_TEST_FULL:-0}" = 1 ]; then
  meson test -C build-asan --print-errorlogs --num-processes 2 "$@"
else
  meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite host-covered "$@"
fi
