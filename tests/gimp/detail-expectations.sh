# Sourced by the full-resolution tests of both GIMP versions
# (tests/gimp/test-detail.sh, tests/gimp3/test-detail.sh): what their two
# edits must give.  Their Script-Fu reports "SE-DETAIL <kept|scaled> WxH"
# and leaves original.png, kept.png and scaled.png in $work.  $1 the log,
# $2 compare-composite; sets fail (and shows the log when it failed).
se_detail_verify() {
  fail=0
  for tag in kept scaled; do
    if ! grep -q "SE-DETAIL $tag 6000x4000" "$1"; then
      echo "FAIL: no 6000x4000 result layer for $tag"; fail=1
    fi
  done
  if [ $fail = 0 ]; then
    "$2" CLOSE "$work/original.png" "$work/kept.png" ||
      { echo "FAIL: keeping the detail, the unchanged edit is not the original within 1/255"; fail=1; }
    if "$2" CLOSE "$work/original.png" "$work/scaled.png"; then
      echo "FAIL: without keeping the detail the edit still equals the original: the comparison cannot tell"; fail=1
    fi
  fi
  [ $fail = 0 ] || cat "$1"
}
