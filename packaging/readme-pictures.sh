#!/bin/sh
# The pictures README.md shows, one path (from the source root) a line:
# installed beside the README by meson and by install-user.sh.
cd "$(dirname "$0")/.."
grep -o '([a-z/_.-]*\.png)' README.md | tr -d '()' | sort -u
