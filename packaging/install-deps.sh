#!/bin/sh
# Installs the Debian 12 packages Semantic Edit builds and tests with.
set -eu
exec "$(dirname "$0")/apt-install.sh" \
  build-essential meson ninja-build pkg-config gettext git discount \
  libglib2.0-dev libjson-glib-dev libgdk-pixbuf-2.0-dev zlib1g-dev \
  libvulkan-dev glslang-tools mesa-vulkan-drivers vulkan-validationlayers \
  gimp libgimp2.0-dev libgegl-dev libgtk2.0-dev \
  xvfb xauth xdotool gtk2-engines-pixbuf fonts-ipafont-gothic
