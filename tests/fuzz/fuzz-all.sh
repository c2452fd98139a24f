#!/bin/sh
# `ninja -C build-fuzz fuzz`: every harness for SE_FUZZ_SECONDS (default 300)
# on its corpus, printing executions per harness.
set -eu
dir=$(dirname "$0")
for harness in "$@"; do
  name=$(basename "$harness" | sed 's/^fuzz-//')
  echo "== $name"
  "$dir/run-fuzzer.sh" "$harness" "$dir/corpus/$name" "${SE_FUZZ_SECONDS:-300}"
done
