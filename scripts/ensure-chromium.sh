#!/usr/bin/env bash
# Browser tests drive Debian's chromium (/usr/bin/chromium): test tools cannot download their own browsers here.
exec bash "$(dirname "$0")/ensure-debian-package.sh" chromium chromium "the browser tests"
