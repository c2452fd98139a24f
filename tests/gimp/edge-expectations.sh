# Sourced by the odd-image tests of both GIMP versions
# (tests/gimp/test-edge-cases.sh, tests/gimp3/test-edge-cases.sh): what each
# case must end in.  Their Script-Fu reports "SE-EDGE <case> ok mask=yes|no
# in-group=N | error, added=N dirty=yes|no" and leaves each case's
# composite before and after in $work.  $1 the log, $2 compare-composite;
# sets fail.
se_edge_verify() {
  fail=0
  expect() {   # tag, the report's expected words, a needle in the message (errors)
    grep -q "SE-EDGE $1 $2" "$log" || { echo "FAIL: $1: expected \"$2\""; fail=1; return; }
    if [ -n "${3:-}" ]; then
      grep -q "$3" "$log" || { echo "FAIL: $1: the message \"$3\" is missing"; fail=1; }
      "$compare" SAME "$work/$1-before.png" "$work/$1-after.png" ||
        { echo "FAIL: $1: the image changed although the run failed"; fail=1; }
    fi
  }
  local log=$1 compare=$2
  expect one-pixel-image "ok mask=yes in-group=0 added=1 dirty=yes"
  expect sliver "ok mask=yes in-group=0 added=1 dirty=yes"
  expect one-pixel-selection "ok mask=yes in-group=0 added=1 dirty=yes"
  expect selection-outside-layer "error added=0 dirty=no" "The selection does not touch the active layer"
  expect layer-mask "error added=0 dirty=no" "and the layer mask is active"
  expect channel "error added=0 dirty=no" "and a channel is active"
  expect indexed "error added=0 dirty=no" "does not work on indexed images"
  expect layer-in-group "ok mask=yes in-group=1 added=1 dirty=yes"
  expect text-layer "ok mask=yes in-group=0 added=1 dirty=yes"
  expect huge-canvas "ok mask=yes in-group=0 added=1 dirty=yes"
}
