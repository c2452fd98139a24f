#!/bin/sh
# Installs the Debian 12 packages Semantic Edit builds and tests with.
# Runs apt-get as root, through sudo when not root.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential meson ninja-build pkg-config gettext \
  libglib2.0-dev libjson-glib-dev libgdk-pixbuf-2.0-dev \
  libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers \
  gimp libgimp2.0-dev libgegl-dev libgtk2.0-dev \
  xvfb xauth xdotool gtk2-engines-pixbuf fonts-ipafont-gothic
