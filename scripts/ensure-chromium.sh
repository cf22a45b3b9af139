#!/usr/bin/env bash
# Browser tests drive Debian's chromium: test tools cannot download their own browsers here.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  echo "Installing Debian's chromium for the browser tests..."
  ${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)} env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
else
  echo "Browser tests need /usr/bin/chromium: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
fi
