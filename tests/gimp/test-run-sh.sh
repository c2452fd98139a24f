#!/bin/bash
# packaging/run.sh, the README's main job, as a new user meets it: a failed
# edit (SE_MODEL naming no model) shows GIMP's message, leaves no result
# (an older one is removed first) and exits non-zero; a working one (the
# tiny model) exits 0 with the result written and its line printed as plain
# information, not as a Script-Fu warning.
#   test-run-sh.sh RUN-SH BUILD-DIR
set -u
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
result=$work/result.png
fail() { echo "FAIL: $*"; exit 1; }

echo "an older result" > "$result"
SE_BUILD_DIR=$2 SE_RESULT=$result SE_MODEL=/no/such/model "$1" > "$work/failed.log" 2>&1
status=$?
sed 's/^/failed run: /' "$work/failed.log"
[ $status -ne 0 ] || fail "run.sh exited 0 after a failed edit"
[ ! -e "$result" ] || fail "the older result is still there after a failed edit"
grep -q "/no/such/model" "$work/failed.log" || fail "the model's error is not shown"
! grep -q "^wrote" "$work/failed.log" || fail "run.sh claimed a result"

unset SE_MODEL
SE_BUILD_DIR=$2 SE_RESULT=$result SE_WORKING_SIZE=64 "$1" > "$work/done.log" 2>&1
status=$?
sed 's/^/working run: /' "$work/done.log"
[ $status -eq 0 ] || fail "run.sh exited $status after a working edit"
[ -s "$result" ] && [ "$(head -c 4 "$result" | tail -c 3)" = PNG ] || fail "no PNG result"
grep -q "^wrote $result" "$work/done.log" || fail "no line naming the result"
! grep -qi "warning" "$work/done.log" || fail "a warning was printed"
echo "PASS"
