#!/bin/sh
# The help page GIMP opens from the dialog's Help button: README.md as
# HTML (discount's markdown).  It is installed two folders below the README
# (help/en/), so its links and pictures resolve from there.
#   make-page.sh MARKDOWN README.md OUT.html
set -eu
markdown=$1 readme=$2 out=$3
{
  printf '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
  printf '<title>Semantic Edit</title>\n<base href="../../">\n'
  printf '<style>body { max-width: 52em; margin: 2em auto; padding: 0 1em; font-family: sans-serif; line-height: 1.45 }\n'
  printf 'pre { background: #f4f4f4; padding: .6em; overflow-x: auto } img { max-width: 100%% }\n'
  printf 'table { border-collapse: collapse } td, th { border: 1px solid #ccc; padding: .2em .5em }</style>\n'
  printf '</head>\n<body>\n'
  "$markdown" -f fencedcode "$readme"
  printf '</body>\n</html>\n'
} > "$out.tmp"
mv "$out.tmp" "$out"
