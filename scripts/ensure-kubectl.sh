#!/usr/bin/env bash
# The manifest tests (tests/deploy) render deploy/k8s with `kubectl kustomize`. Debian packages kubectl as
# `kubernetes-client` (Debian 12: kubectl 1.20 with kustomize v2.0.3, which the overlays are written for);
# a newer kubectl already on PATH is used as it is.
exec bash "$(dirname "$0")/ensure-debian-package.sh" kubectl kubernetes-client "the manifest tests"
