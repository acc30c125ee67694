#!/usr/bin/env bash
# Provision Prometheus and promtool for the alert-rule tests (`promtool test rules`) and the
# dashboard test (a real Prometheus scrapes dermagan's services): Debian's `prometheus` package,
# installed with apt when run as root. The package's own service is not started (policy-rc.d
# refuses it during the install); the tests run their own Prometheus on a loopback port.
#
#   bash scripts/provision-prometheus.sh
set -euo pipefail
say() { echo "[provision-prometheus] $*" >&2; }
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  say "$(prometheus --version 2>&1 | head -1)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  say "prometheus and promtool are missing: install Debian's package as root (apt-get install --no-install-recommends prometheus) or put Prometheus >= 2.42 on PATH"
  exit 1
fi
say "installing Debian's prometheus package with apt-get…"
# No daemon: an install inside a container or CI must not start a Prometheus on :9090.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1; fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
say "$(prometheus --version 2>&1 | head -1)"
