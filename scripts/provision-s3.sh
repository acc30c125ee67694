#!/usr/bin/env bash
# Provision the S3 server the integration tests start: MinIO, built from source with `go install`
# (MinIO publishes no binaries on the package registries this project may use). The binary is
# cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin/minio; a second run builds nothing.
#
#   bash scripts/provision-s3.sh          # build when missing or not the pinned version
#
# Needs Go >= 1.24 on PATH and access to the Go module proxy. A fresh build downloads ~400 modules
# and compiles for a few minutes on 2 cores (measured: 2 min 46 s); it prints how long it took.
# DERMAGAN_MINIO_VERSION overrides the pinned module version (`latest` resolves to the newest).
set -euo pipefail

# The module version the tests were written against: MinIO's master of 2026-02-12 (the repository
# tags releases as RELEASE.<date>, not semver, so the Go proxy serves it as a pseudo-version).
PINNED='v0.0.0-20260212201848-7aac2a2c5b7c'
VERSION="${DERMAGAN_MINIO_VERSION:-$PINNED}"
CACHE="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/minio"
LOG="$BIN_DIR/minio-build.log"

if ! command -v go >/dev/null 2>&1; then
  echo "provision-s3: Go is not installed. Install Go >= 1.24 (https://go.dev/dl/ or your package manager, e.g. 'apt-get install golang-go') and run this again." >&2
  exit 1
fi

built_version() {
  [ -x "$BIN" ] && go version -m "$BIN" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/minio/minio" { print $3 }'
}

mkdir -p "$BIN_DIR"
# One build at a time: parallel test runs wait for the first one's build.
exec 9>"$BIN_DIR/.minio-build.lock"
flock 9

have="$(built_version || true)"
if [ -n "$have" ] && { [ "$VERSION" = "latest" ] || [ "$have" = "$VERSION" ]; }; then
  echo "provision-s3: minio $have is cached at $BIN"
  exit 0
fi

echo "provision-s3: building minio $VERSION with go install (this takes a few minutes; log: $LOG)"
started=$(date +%s)
staging="$(mktemp -d "$BIN_DIR/.minio-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
if ! GOBIN="$staging" CGO_ENABLED=0 go install "github.com/minio/minio@$VERSION" >"$LOG" 2>&1; then
  echo "provision-s3: go install github.com/minio/minio@$VERSION failed; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
mv -f "$staging/minio" "$BIN"
echo "provision-s3: built minio $(built_version) in $(( $(date +%s) - started )) s at $BIN"
