#!/usr/bin/env bash
# Installs the Debian package of a tool the tests or benchmarks need, unless its command is already there.
# usage: ensure-debian-package.sh COMMAND PACKAGE PURPOSE
set -euo pipefail
command=$1 package=$2 purpose=$3
command -v "$command" >/dev/null && exit 0
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  SUDO=${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)}
  echo "Installing Debian's $package for $purpose..."
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null; then
    # A machine that never ran `apt-get update` has no package lists yet.
    $SUDO apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null
  fi
  command -v "$command" >/dev/null && exit 0
fi
echo "$purpose needs $command: install Debian's $package package (apt-get install $package)." >&2
exit 1
