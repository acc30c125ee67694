#!/usr/bin/env bash
# Build every `tool` of one of our wrapper Go modules (scripts/control-plane/<name>/go.mod) in ONE
# `go build` invocation, stripped, into ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin, and keep them:
# a second call with the same go.mod, go.sum and flags builds nothing. One invocation compiles the
# packages the commands share once (kube-apiserver, kube-controller-manager and kube-scheduler
# share most of theirs) and links them in parallel; `-s -w` drops symbol tables and DWARF, which
# shortens the link and shrinks the binaries by a third. The Go build cache (GOCACHE) is reused
# across calls and with the other Go builds of setup:test.
#
#   bash scripts/go-build-tools-cached.sh MODULE_DIR [RENAME_FROM=RENAME_TO ...]
#     MODULE_DIR   a folder holding a go.mod with `tool` lines and its go.sum
#     FROM=TO      rename a built binary (etcd's server package builds as `server`)
# Extra linker flags come from $GO_TOOLS_LDFLAGS (e.g. the version stamps Kubernetes needs).
set -euo pipefail

DIR="$(cd "$1" && pwd)"
shift
NAME="$(basename "$DIR")"
CACHE="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
BIN_DIR="$CACHE/bin"
LOG="$BIN_DIR/$NAME-build.log"
LDFLAGS="-s -w ${GO_TOOLS_LDFLAGS:-}"

if ! command -v go >/dev/null 2>&1; then
  echo "$NAME: Go is not installed. Install Go >= 1.24 (https://go.dev/dl/ or 'apt-get install golang-go') and run this again." >&2
  exit 1
fi

# The binaries this module makes: its `tool` lines' last path element (renamed as asked).
binaries=()
while read -r pkg; do
  # go names a command after its last path element, skipping a major-version suffix (/v3).
  [[ "${pkg##*/}" =~ ^v[0-9]+$ ]] && pkg="${pkg%/*}"
  bin="${pkg##*/}"
  for pair in "$@"; do [ "${pair%%=*}" = "$bin" ] && bin="${pair#*=}"; done
  binaries+=("$bin")
done < <(awk '/^tool \(/{t=1;next} t&&/^\)/{t=0} t{print $1} /^tool [^(]/{print $2}' "$DIR/go.mod")
[ "${#binaries[@]}" -gt 0 ] || { echo "$NAME: $DIR/go.mod lists no tools" >&2; exit 1; }

stamp_file="$BIN_DIR/.$NAME.stamp"
stamp="$( { cat "$DIR/go.mod" "$DIR/go.sum"; echo "$LDFLAGS $(go env GOVERSION GOOS GOARCH)"; } | sha256sum | cut -c1-16)"

mkdir -p "$BIN_DIR"
exec 9>"$BIN_DIR/.$NAME-build.lock"
flock 9

all_there() { for b in "${binaries[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done; }
if all_there && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
  echo "$NAME: ${binaries[*]} cached in $BIN_DIR"
  exit 0
fi

echo "$NAME: building ${binaries[*]} (one go build; log: $LOG)"
started=$(date +%s)
staging="$(mktemp -d "$BIN_DIR/.$NAME-build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
if ! (cd "$DIR" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$LDFLAGS" -o "$staging/" tool) >"$LOG" 2>&1; then
  echo "$NAME: go build failed; last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
  exit 1
fi
for pair in "$@"; do [ -e "$staging/${pair%%=*}" ] && mv "$staging/${pair%%=*}" "$staging/${pair#*=}"; done
for b in "${binaries[@]}"; do mv -f "$staging/$b" "$BIN_DIR/$b"; done
echo "$stamp" >"$stamp_file"
echo "$NAME: built ${binaries[*]} in $(( $(date +%s) - started )) s into $BIN_DIR"
