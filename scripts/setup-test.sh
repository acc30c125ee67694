#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine: the runtime (setup.sh), then the real
# servers the integration tests start themselves — an Apache Kafka broker (jars from Maven Central),
# an S3 server and a Kubernetes control plane with kwok (built with Go) — Helm and kubeconform with
# the Kubernetes schemas for the chart tests, and from Debian's packages a PostgreSQL server (the
# portal's storage tests), chromium (the portal's browser tests) and Prometheus/promtool (the alert
# and dashboard tests). All cached in ~/.cache/dermagan, so a second run is quick.
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
echo "[setup:test] Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)…" >&2
bash scripts/provision-control-plane.sh
echo "[setup:test] kubeconform and the Kubernetes schemas…" >&2
bash scripts/provision-kubeconform.sh
echo "[setup:test] Prometheus…" >&2
bash scripts/provision-prometheus.sh
echo "[setup:test] done: run 'npm test'" >&2
