#!/usr/bin/env bash
# Refreshes the vendored axe-core from its npm package. Only the browser tests inject it (tests/e2e/page_checks.py);
# the gateway never serves it, and no test loads it from a CDN.
set -euo pipefail
version=${1:-4.14.1}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --loglevel=warn "axe-core@$version" >/dev/null && tar xzf axe-core-*.tgz)
target="$(dirname "$0")/../tests/e2e/vendor"
cp "$work/package/axe.min.js" "$target/axe.min.js"
cp "$work/package/LICENSE" "$target/axe-core.LICENSE"
cp "$work/package/LICENSE-3RD-PARTY.txt" "$target/axe-core.LICENSE-3RD-PARTY.txt"
echo "axe-core $version vendored"
