#!/usr/bin/env bash
# Refreshes the vendored htmx from its npm package (pages never load it from a CDN).
set -euo pipefail
version=${1:-2.0.11}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "htmx.org@$version" >/dev/null && tar xzf htmx.org-*.tgz)
cp "$work/package/dist/htmx.min.js" "$(dirname "$0")/../gateway/web/static/htmx.min.js"
echo "htmx $version vendored"
