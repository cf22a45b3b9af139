#!/usr/bin/env bash
# Refreshes the vendored GOV.UK Frontend from its npm package: compiles its Sass with our theme
# (gateway/web/theme/rendez-vous.scss) and copies its JavaScript; pages never load it from a CDN.
# The Jinja macros come from the PyPI package govuk-frontend-jinja, pinned in requirements.txt to the
# release that matches this version (4.1.0 for 6.3.0).
set -euo pipefail
version=${1:-6.3.0}
sass_version=${2:-1.94.3}
here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/gateway/web/static/govuk"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  "govuk-frontend@$version" "sass@$sass_version" >/dev/null)
mkdir -p "$out"
"$work/node_modules/.bin/sass" --no-source-map --style=compressed --quiet-deps \
  --load-path="$work/node_modules" "$here/gateway/web/theme/rendez-vous.scss" "$out/govuk-frontend.min.css"
cp "$work/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" "$out/govuk-frontend.min.js"
echo "GOV.UK Frontend $version vendored (themed, sass $sass_version)"
