#!/bin/sh
# Every language in po/LINGUAS translates every message the sources have now:
# a template is extracted afresh from po/POTFILES.in (with the build's
# xgettext keywords), merged into each catalog, and the result must compile
# with format checks and have no untranslated or fuzzy message.
# Argument: the source root.
set -eu
SRC=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$SRC"
xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
  --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --keyword=FORMAT_ERROR:1 --keyword=fail:4 \
  -f po/POTFILES.in -o "$TMP/fresh.pot"
total=$(grep -c '^msgid ' "$TMP/fresh.pot")
status=0
for lang in $(grep -v '^#' po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$TMP/fresh.pot" -o "$TMP/$lang.po"
  stats=$(msgfmt -c --statistics -o /dev/null "$TMP/$lang.po" 2>&1)
  echo "# $lang: $stats (template: $((total - 1)) messages)"
  case "$stats" in
    *untranslated* | *fuzzy*) echo "FAIL: $lang is incomplete; run ninja semantic-edit-update-po and translate"; status=1 ;;
  esac
done
[ -s po/LINGUAS ] || { echo "FAIL: po/LINGUAS lists no language"; status=1; }
exit $status
