#!/usr/bin/env bash
# Browser tests drive Debian's chromium (/usr/bin/chromium): test tools cannot download their own browsers here.
# Playwright's own node driver, which starts it, links libatomic.so.1: chromium does not pull that library in.
set -euo pipefail
here=$(dirname "$0")
bash "$here/ensure-debian-package.sh" chromium chromium "the browser tests"
exec bash "$here/ensure-debian-package.sh" libatomic.so.1 libatomic1 "Playwright's driver (the browser tests)"
