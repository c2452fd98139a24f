#!/bin/sh
# Builds the Debian package gimp-plugin-semantic-edit into build-deb/ (or
# SE_DEB_OUT) and checks it with lintian (no errors allowed); with
# SE_DEB_GIMP=3 for GIMP 3 (the build profile pkg.semantic-edit.gimp3: on
# Debian 13, in packaging/test-gimp3.sh's chroot), else for GIMP 2.10.  The source tree is copied
# with packaging/debian/ as its debian/ folder, then dpkg-buildpackage
# -us -uc -b builds it (debhelper + meson).  Installs the build tools with
# apt-get unless SE_SKIP_DEPS=1.
set -eu
cd "$(dirname "$0")/.."
./packaging/apt-install.sh debhelper dpkg-dev help2man lintian
out=${SE_DEB_OUT:-build-deb}
rm -rf "$out"
mkdir -p "$out/semantic-edit"
# tracked files and new ones not ignored (a clean clone: the tracked ones)
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$out/semantic-edit"
cp -r packaging/debian "$out/semantic-edit/debian"
profile=""
if [ "${SE_DEB_GIMP:-2}" = "3" ]; then
  profile="-Ppkg.semantic-edit.gimp3"
fi
(cd "$out/semantic-edit" && dpkg-buildpackage -us -uc -b $profile)
lintian --fail-on error --suppress-tags bad-distribution-in-changes-file "$out"/*.changes
ls "$out"/*.deb
