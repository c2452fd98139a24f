#!/bin/sh
# The libFuzzer harnesses (tests/fuzz): builds them with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer into ./build-fuzz and runs each on its seed
# corpus plus a fixed burst of new inputs (part of the test command).
#   fuzz.sh            the CI run (SE_FUZZ_RUNS new inputs per harness, 3000)
#   fuzz.sh SECONDS    every harness for that long instead (ninja fuzz)
# Installs clang and its sanitizer runtimes with apt-get unless SE_SKIP_DEPS=1.
set -eu
cd "$(dirname "$0")/.."
./packaging/apt-install.sh clang libclang-rt-14-dev
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-fuzz
if [ $# -gt 0 ]; then
  SE_FUZZ_SECONDS=$1 ninja -C build-fuzz fuzz
else
  meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2
fi
