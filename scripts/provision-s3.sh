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
exec bash "$(dirname "$0")/go-install-cached.sh" minio github.com/minio/minio github.com/minio/minio "${DERMAGAN_MINIO_VERSION:-$PINNED}"
