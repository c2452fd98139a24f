#!/bin/sh
# Runs one libFuzzer harness on its seed corpus.
#   run-fuzzer.sh HARNESS CORPUS burst [SEED...]    replay every seed, then a
#                                                  fixed burst of new inputs
#                                                  (the CI test)
#   run-fuzzer.sh HARNESS CORPUS SECONDS [SEED...]  fuzz for that long
# SEED files are extra seeds read where they are (the reference's own
# files: never copied into the corpus).
# -max_len 256 KiB: long enough for JSON nested past json-glib's stack
# (the nested-* seeds; json-read.h).
# New inputs go to a scratch corpus, never into the seeds; a crash, leak or
# sanitizer report fails the run and leaves the input under $SE_FUZZ_OUT
# (default: the scratch folder, printed), to be added to the seeds as a
# regression input once fixed.
set -eu
harness=$1 corpus=$2 mode=$3
shift 3
seeds=""
if [ $# -gt 0 ]; then
  seeds="-seed_inputs=$(echo "$@" | tr ' ' ',')"
fi
scratch=${SE_FUZZ_OUT:-$(mktemp -d)}
mkdir -p "$scratch/corpus"
if [ "$mode" = burst ]; then
  limit="-runs=${SE_FUZZ_RUNS:-3000}"
else
  limit="-max_total_time=$mode"
fi
status=0
"$harness" -seed=1 -max_len=262144 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$scratch/" $limit $seeds "$scratch/corpus" "$corpus" 2>&1 | tee "$scratch/log" | \
  grep -E "^#|Done|ERROR|SUMMARY|stat::number_of_executed_units|artifact|==[0-9]+==" | tail -n 40 || true
grep -q "stat::number_of_executed_units" "$scratch/log" || status=1
if grep -qE "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: " "$scratch/log"; then
  status=1
fi
if [ $status -ne 0 ]; then
  echo "FAIL: $(basename "$harness"): see $scratch (crash inputs and log)"
elif [ -z "${SE_FUZZ_OUT:-}" ]; then
  rm -rf "$scratch"
fi
exit $status
