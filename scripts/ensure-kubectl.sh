#!/usr/bin/env bash
# The manifest tests (tests/deploy) render deploy/k8s with `kubectl kustomize`. Debian packages kubectl as
# `kubernetes-client` (Debian 12: kubectl 1.20 with kustomize v2.0.3, which the overlays are written for);
# a newer kubectl already on PATH is used as it is.
set -euo pipefail
command -v kubectl >/dev/null && exit 0
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }; then
  SUDO=${SUDO:-$([ "$(id -u)" = 0 ] || echo sudo)}
  echo "Installing Debian's kubernetes-client (kubectl) for the manifest tests..."
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubernetes-client >/dev/null; then
    # A machine that never ran `apt-get update` has no package lists yet.
    $SUDO apt-get update -q >/dev/null
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubernetes-client >/dev/null
  fi
  command -v kubectl >/dev/null && exit 0
fi
echo "The manifest tests need kubectl: install Debian's kubernetes-client package (apt-get install kubernetes-client)." >&2
exit 1
