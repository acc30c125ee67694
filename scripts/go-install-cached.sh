#!/usr/bin/env bash
# Build a Go program once with `go install` into ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin and keep
# it there (stripped, -trimpath); a second call with the same version builds nothing. Used by provision-s3.sh (MinIO)
# and provision-helm.sh (Helm), whose binaries no registry this project may use publishes.
#
#   bash scripts/go-install-cached.sh NAME MODULE PACKAGE VERSION
#     NAME     binary name (and log prefix), e.g. minio
#     MODULE   the module whose version the binary records, e.g. github.com/minio/minio
#     PACKAGE  what `go install` builds, e.g. github.com/minio/minio
#     VERSION  module version, or `latest` (then any cached build is kept)
set -euo pipefail

NAME="$1" MODULE="$2" PACKAGE="$3" VERSION="$4"
CACHE="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/$NAME"
LOG="$BIN_DIR/$NAME-build.log"

if ! command -v go >/dev/null 2>&1; then
  echo "$NAME: Go is not installed. Install Go (https://go.dev/dl/ or your package manager, e.g. 'apt-get install golang-go') and run this again." >&2
  exit 1
fi

built_version() {
  [ -x "$BIN" ] && go version -m "$BIN" 2>/dev/null | awk -v m="$MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

mkdir -p "$BIN_DIR"
# One build at a time: parallel runs wait for the first one's build.
exec 9>"$BIN_DIR/.$NAME-build.lock"
flock 9

have="$(built_version || true)"
if [ -n "$have" ] && { [ "$VERSION" = "latest" ] || [ "$have" = "$VERSION" ]; }; then
  echo "$NAME: $have is cached at $BIN"
  exit 0
fi

echo "$NAME: building $PACKAGE@$VERSION with go install (a few minutes on 2 cores; log: $LOG)"
started=$(date +%s)
staging="$(mktemp -d "$BIN_DIR/.$NAME-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# -s -w: no symbol table or DWARF (a shorter link, a third smaller); the module versions stay readable.
if ! GOBIN="$staging" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$PACKAGE@$VERSION" >"$LOG" 2>&1; then
  echo "$NAME: go install $PACKAGE@$VERSION failed; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
mv -f "$staging/$NAME" "$BIN"
echo "$NAME: built $(built_version) in $(( $(date +%s) - started )) s at $BIN"
