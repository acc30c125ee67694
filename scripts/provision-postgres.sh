#!/usr/bin/env bash
# Provision the PostgreSQL server the integration tests start (the portal's storage contract runs
# on it): Debian's `postgresql` package (server binaries under /usr/lib/postgresql/<major>/bin).
# Installs with apt when run as root and the binaries are missing; prints the bin folder.
set -euo pipefail
find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
bin="$(find_bin)"
if [[ -z "$bin" || ! -x "$bin/postgres" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "provision-postgres: PostgreSQL server binaries not found; install them: sudo apt-get install postgresql" >&2
    exit 1
  fi
  echo "provision-postgres: installing Debian's postgresql…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends postgresql >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends postgresql >&2; }
  # The package's own cluster is not used (the tests start their own on a free port).
  bin="$(find_bin)"
fi
[[ -x "$bin/postgres" && -x "$bin/initdb" ]] || { echo "provision-postgres: no postgres/initdb in $bin" >&2; exit 1; }
echo "$bin"
