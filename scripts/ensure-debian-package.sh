#!/usr/bin/env bash
# Installs the Debian package of a tool or shared library the tests or benchmarks need, unless it is already there.
# usage: ensure-debian-package.sh COMMAND|LIBRARY.so.N PACKAGE PURPOSE
# (a name holding ".so." is looked up in the dynamic linker's cache, anything else on the PATH)
set -euo pipefail
wanted=$1 package=$2 purpose=$3
present() {
  case "$wanted" in
    *.so.*) "$(command -v ldconfig || echo /sbin/ldconfig)" -p | grep -q "^[[:space:]]*${wanted//./\\.} " ;;
    *) command -v "$wanted" >/dev/null ;;
  esac
}
present && exit 0
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  SUDO=${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)}
  echo "Installing Debian's $package for $purpose..."
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null; then
    # A machine that never ran `apt-get update` has no package lists yet.
    $SUDO apt-get update -q >/dev/null || true
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null || true
  fi
  present && exit 0
fi
echo "$purpose needs $wanted: install Debian's $package package (apt-get install $package)." >&2
exit 1
