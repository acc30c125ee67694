#!/usr/bin/env bash
# Provision the browser the portal's browser tests drive with playwright-core: Debian's chromium
# (/usr/bin/chromium). Never a browser download (`playwright install` cannot reach its host here).
set -euo pipefail
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "provision-chromium: /usr/bin/chromium is missing; install it: sudo apt-get install chromium" >&2
    exit 1
  fi
  echo "provision-chromium: installing Debian's chromium…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2; }
fi
/usr/bin/chromium --version >&2
echo /usr/bin/chromium
