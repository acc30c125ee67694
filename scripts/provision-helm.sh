#!/usr/bin/env bash
# Provision Helm for the chart tests (`tests/chart.test.ts` renders and lints charts/dermagan):
# built from source with `go install` (Helm publishes no binaries on the package registries this
# project may use). Cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin/helm; a second run builds
# nothing.
#
#   bash scripts/provision-helm.sh
#
# Needs Go on PATH and access to the Go module proxy; a fresh build takes about 2 minutes on
# 2 cores (measured: 112 s; it prints how long). DERMAGAN_HELM_VERSION overrides the pinned version.
set -euo pipefail

PINNED='v3.22.0'
exec bash "$(dirname "$0")/go-install-cached.sh" helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "${DERMAGAN_HELM_VERSION:-$PINNED}"
