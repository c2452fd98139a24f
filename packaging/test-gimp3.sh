#!/bin/sh
# GIMP 3 (part of the test command): builds this tree with -Dgimp=3 in a
# Debian 13 chroot (GIMP 3.0, libgimp-3.0, glslang 15, Mesa's lavapipe)
# made with debootstrap on this Debian 12 machine, and runs the GIMP 3
# tests there (suite gimp3: the procedure in real GIMP 3 and the dialog in
# GTK 3), then builds,
# installs, tests and removes the Debian 13 package (test-deb.sh with
# SE_DEB_GIMP=3).  The chroot is
# kept between runs in SE_GIMP3_ROOT (default /var/tmp/semantic-edit-trixie;
# about 2 GB, 3-4 minutes the first time); the source tree and
# ../shared are mounted into it, the build goes to ./build-gimp3.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
root=${SE_GIMP3_ROOT:-/var/tmp/semantic-edit-trixie}
src=$(pwd)
shared=$(cd .. && pwd)/shared
# the Debian archive this machine's apt uses
mirror=$(grep -rhoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
         awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
packages="gimp libgimp-3.0-dev meson ninja-build pkg-config gcc glslang-tools libvulkan-dev
  mesa-vulkan-drivers vulkan-validationlayers libjson-glib-dev gettext zlib1g-dev help2man discount
  xvfb xauth xdotool build-essential debhelper dpkg-dev lintian git locales fonts-ipafont-gothic"

in_root() {
  $SUDO chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}
unmount() {
  for m in "$src" "$shared" /dev /proc; do
    if mountpoint -q "$root$m"; then $SUDO umount "$root$m" || $SUDO umount -l "$root$m" || true; fi
  done
}

if [ ! -x "$root/usr/bin/gimp-console-3.0" ]; then
  command -v debootstrap > /dev/null || ./packaging/apt-install.sh debootstrap
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    $SUDO mkdir -p "$root"
    $SUDO debootstrap --variant=minbase trixie "$root" "$mirror"
  fi
  printf 'deb %s trixie main\ndeb %s trixie-updates main\n' "$mirror" "$mirror" |
    $SUDO tee "$root/etc/apt/sources.list" > /dev/null
  $SUDO cp /etc/resolv.conf "$root/etc/resolv.conf"
fi
# an edit GIMP 2.10 saved, which the GIMP 3 re-open test opens (the 2.10
# plug-in built on this machine: test.sh built it first)
xcf=build-gimp3-xcf/edit-210.xcf
mkdir -p "$(dirname "$xcf")"
[ -x build/plug-in/semantic-edit ] || ./packaging/build.sh
SE_REFERENCE_DIR=${SE_REFERENCE_DIR:-$shared/reference} ./tests/gimp3/make-xcf-210.sh build/plug-in/semantic-edit "$xcf"
trap unmount EXIT
$SUDO mkdir -p "$root$src" "$root$shared"
mountpoint -q "$root/proc" || $SUDO mount -t proc proc "$root/proc"
mountpoint -q "$root/dev" || $SUDO mount --bind /dev "$root/dev"
mountpoint -q "$root$src" || $SUDO mount --bind "$src" "$root$src"
mountpoint -q "$root$shared" || $SUDO mount --bind -o ro "$shared" "$root$shared"
# shellcheck disable=SC2086
in_root sh -c "dpkg -s $(echo $packages) > /dev/null 2>&1 ||
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(echo $packages); }"
# a Japanese locale for the dialog in Japanese and the package's --help
in_root sh -c "grep -q '^ja_JP.UTF-8' /etc/locale.gen || { echo 'ja_JP.UTF-8 UTF-8' >> /etc/locale.gen && locale-gen; }"
in_root sh -c "cd '$src' && { [ -f build-gimp3/build.ninja ] || meson setup build-gimp3 -Dgimp=3; } &&
  ninja -C build-gimp3 && SE_XCF_210='$src/$xcf' meson test -C build-gimp3 --print-errorlogs --suite gimp3"
# the tree is its user's: git inside the chroot (root) reads it all the
# same
in_root sh -c "cd '$src' && git config --global safe.directory '$src' &&
  SE_SKIP_DEPS=1 SE_DEB_GIMP=3 ./packaging/test-deb.sh"
