# Sourced by tests/ui/gimp-server.sh and tests/gimp3/gimp3-server.sh (the
# caller defines fail): se_wait_filter PID WHAT OUTPUT waits (up to 120 s)
# for the background filter run PID to end; fails naming WHAT when it does
# not, or when it failed (its output in OUTPUT).
se_wait_filter() {
  i=0
  while kill -0 "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 240 ] || fail "$2 did not finish the filter"; sleep 0.5
  done
  wait "$1" || fail "the filter failed: $(cat "$3")"
}
