#!/usr/bin/env bash
# Provision Helm for the chart tests (`tests/chart.test.ts` renders and lints charts/dermagan):
# built from source with `go install` (Helm publishes no binaries on the package registries this
# project may use). Cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin/helm; a second run builds
# nothing.
#
#   bash scripts/provision-helm.sh
#
# Needs Go on PATH and access to the Go module proxy; a fresh build takes a few minutes on 2 cores
# (it prints how long). DERMAGAN_HELM_VERSION overrides the pinned version.
set -euo pipefail

PINNED='v3.22.0'
VERSION="${DERMAGAN_HELM_VERSION:-$PINNED}"
CACHE="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/helm"
LOG="$BIN_DIR/helm-build.log"

if ! command -v go >/dev/null 2>&1; then
  echo "provision-helm: Go is not installed. Install Go (https://go.dev/dl/ or e.g. 'apt-get install golang-go') and run this again." >&2
  exit 1
fi

built_version() {
  [ -x "$BIN" ] && go version -m "$BIN" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" { print $3 }'
}

mkdir -p "$BIN_DIR"
exec 9>"$BIN_DIR/.helm-build.lock"
flock 9

have="$(built_version || true)"
if [ -n "$have" ] && [ "$have" = "$VERSION" ]; then
  echo "provision-helm: helm $have is cached at $BIN"
  exit 0
fi

echo "provision-helm: building helm $VERSION with go install (a few minutes; log: $LOG)"
started=$(date +%s)
staging="$(mktemp -d "$BIN_DIR/.helm-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
if ! GOBIN="$staging" CGO_ENABLED=0 go install "helm.sh/helm/v3/cmd/helm@$VERSION" >"$LOG" 2>&1; then
  echo "provision-helm: go install helm.sh/helm/v3/cmd/helm@$VERSION failed; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
mv -f "$staging/helm" "$BIN"
echo "provision-helm: built helm $(built_version) in $(( $(date +%s) - started )) s at $BIN"
