# Sourced by the cancel tests of both GIMP versions (tests/gimp/test-cancel.sh,
# tests/gimp3/test-cancel.sh): the phases a run is killed in, the watcher
# that kills it, and the checks afterwards.  The test's Script-Fu runs the
# edit once per phase, reporting "SE-CANCEL <phase> ok|error added=N
# dirty=yes|no" after each, then once more as "after".

phases="load encode invert edit decode"

# Starts the watcher for the log $1 and the plug-in binary $2 (this
# profile's only: other tests may run theirs meanwhile); sets watcher.  For
# the k-th run it waits for its phase line (after what the runs before
# wrote), then kills the plug-in as GIMP's Cancel would, and writes what it
# did to $work/killed.
se_cancel_watch() {
  (
    seen=0
    for p in $phases; do
      for _ in $(seq 3000); do
        line=$(tail -n +$((seen + 1)) "$1" | grep -n -m1 "semantic-edit: phase $p at" | cut -d: -f1)
        [ -n "$line" ] && break
        sleep 0.01
      done
      [ -n "$line" ] || { echo "WATCHER: phase $p never came" >> "$work/killed"; exit 1; }
      pkill -KILL -f "$2" && echo "killed in $p" >> "$work/killed"
      seen=$((seen + line))
      # the next run starts once this one's failure is reported
      until tail -n +$((seen + 1)) "$1" | grep -q "SE-CANCEL $p"; do sleep 0.05; done
      seen=$(wc -l < "$1")
    done
  ) &
  watcher=$!
}

# After the runs: each killed in its phase, failed, left the image as it
# was and clean; the last one worked.  $1 the log, $2 compare-composite;
# sets fail.
se_cancel_verify() {
  wait "$watcher"
  watcher=""
  cat "$1" "$work/killed"
  fail=0
  for p in $phases; do
    grep -q "^killed in $p$" "$work/killed" || { echo "FAIL: $p: the plug-in was not killed in that phase"; fail=1; continue; }
    # the last phase the killed run reported is the one it was killed in
    last=$(awk -v p="$p" '/SE-CANCEL/ { if (index($0, "SE-CANCEL " p " ")) exit } /semantic-edit: phase/ { l = $3 } END { print l }' "$1")
    [ "$last" = "$p" ] || { echo "FAIL: $p: the run got to phase $last before it was killed"; fail=1; }
    grep -q "SE-CANCEL $p error added=0 dirty=no" "$1" || { echo "FAIL: $p: the cancelled run left a layer or a dirty image"; fail=1; }
    "$2" SAME "$work/$p-before.png" "$work/$p-after.png" || { echo "FAIL: $p: the image changed"; fail=1; }
  done
  grep -q "SE-CANCEL after ok added=1 dirty=yes" "$1" || { echo "FAIL: the run after the cancelled ones did not work"; fail=1; }
}
