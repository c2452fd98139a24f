#!/bin/sh
# `ninja -C build-fuzz fuzz`: every harness for SE_FUZZ_SECONDS (default 300)
# on its corpus (the model harness also on the reference's config.json
# files, in place), printing executions per harness.
set -eu
dir=$(dirname "$0")
for harness in "$@"; do
  name=$(basename "$harness" | sed 's/^fuzz-//')
  echo "== $name"
  seeds=""
  if [ "$name" = model ]; then
    seeds=$(ls "$SE_REFERENCE_DIR"/tiny-sd/*/config.json)
  fi
  # shellcheck disable=SC2086
  "$dir/run-fuzzer.sh" "$harness" "$dir/corpus/$name" "${SE_FUZZ_SECONDS:-300}" $seeds
done
