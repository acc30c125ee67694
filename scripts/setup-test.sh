#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine: the runtime (setup.sh), then the real
# servers the integration tests start themselves — an Apache Kafka broker (jars from Maven Central)
# and an S3 server (built with Go) — Helm (built with Go) for the chart test, and from Debian's
# packages a PostgreSQL server (the portal's storage tests) and chromium (the portal's browser tests). All cached in
# ~/.cache/dermagan, so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "[setup:test] Kafka broker…" >&2
bash scripts/provision-kafka.sh
echo "[setup:test] S3 server…" >&2
bash scripts/provision-s3.sh
echo "[setup:test] Helm…" >&2
bash scripts/provision-helm.sh
echo "[setup:test] PostgreSQL server (Debian package)…" >&2
bash scripts/provision-postgres.sh >/dev/null
echo "[setup:test] Chromium for the browser tests (Debian package)…" >&2
bash scripts/provision-chromium.sh >/dev/null
echo "[setup:test] done: run 'npm test'" >&2
