#!/usr/bin/env bash
# Provision the Kubernetes control plane the integration tests run on loopback (tests/servers/
# kubernetes.ts): etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from the
# published Go modules through our wrapper modules (scripts/control-plane/*/go.mod), and kwok,
# which stands in for the kubelets (go install). Cached in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin;
# a second run builds nothing.
#
#   bash scripts/provision-control-plane.sh
#
# Needs Go >= 1.24 and the Go module proxy. Cost on an empty cache, 2 cores: see README
# ("What setup:test builds"); it prints each step's time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# Kubernetes reads its version from linker stamps; without them the server says v0.0.0 and
# Helm's kubeVersion checks fail. The version is the one the wrapper module requires.
k8s_version="$(awk '($1 == "require" && $2 == "k8s.io/kubernetes") { print $3 } ($1 == "k8s.io/kubernetes" && $2 ~ /^v/) { print $2 }' "$here/control-plane/kubernetes/go.mod")"
[ -n "$k8s_version" ] || { echo "provision-control-plane: no k8s.io/kubernetes requirement in control-plane/kubernetes/go.mod" >&2; exit 1; }
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
GO_TOOLS_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
  bash "$here/go-build-tools-cached.sh" "$here/control-plane/kubernetes"
bash "$here/go-build-tools-cached.sh" "$here/control-plane/etcd" server=etcd
bash "$here/go-install-cached.sh" kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok "${DERMAGAN_KWOK_VERSION:-v0.8.0}"
