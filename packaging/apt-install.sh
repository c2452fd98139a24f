#!/bin/sh
# Installs Debian packages with apt-get (through sudo when not root); does
# nothing when SE_SKIP_DEPS=1.  The build and test scripts install what they
# need through it.
#   apt-install.sh PACKAGE...
set -eu
if [ "${SE_SKIP_DEPS:-0}" = "1" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "$@"
