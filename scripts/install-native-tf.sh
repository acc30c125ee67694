#!/usr/bin/env bash
# Provision the native TensorFlow backend for @tensorflow/tfjs-node.
#
# 1. If `require('@tensorflow/tfjs-node')` already loads (a cluster image where the package's own
#    install reached its download host), nothing is done.
# 2. Otherwise the package's own install is tried once (it downloads libtensorflow + a prebuilt addon).
# 3. Where that host is unreachable, libtensorflow is taken from the `tensorflow-cpu` wheel on PyPI
#    (fetched with pip, cached), and the addon is built from the sources inside the npm package
#    with the node-gyp that npm bundles. The result is cached, so a second install is a copy.
# Finally the backend is loaded and must report `tensorflow`.
#
# Env: DERMAGAN_CACHE (default ~/.cache/dermagan), DERMAGAN_TF_WHEEL_VERSION (default 2.21.0).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${DERMAGAN_CACHE:-$HOME/.cache/dermagan}"
tf_version="${DERMAGAN_TF_WHEEL_VERSION:-2.21.0}"
pkg="$root/node_modules/@tensorflow/tfjs-node"
say() { echo "[native-tf] $*" >&2; }

[ -d "$pkg" ] || { say "@tensorflow/tfjs-node is not installed: run 'npm ci' first"; exit 1; }
pkg_version="$(node -p "require('$pkg/package.json').version")"
napi="$(node -p 'process.versions.napi')"
addon_dir="$pkg/lib/napi-v8"

loads() {
  (cd "$root" && node -e "
    const tf = require('@tensorflow/tfjs-node');
    if (tf.getBackend() !== 'tensorflow') process.exit(3);
    const y = tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync();
    if (y[0] !== 2) process.exit(4);
    console.error('[native-tf] loaded: TensorFlow ' + tf.version['tfjs-node'] + ' / ' + JSON.stringify(tf.backend().binding.TF_Version || 'C API'));
  " 2>&1 >/dev/null | grep -v 'oneDNN\|cpu_feature_guard\|rebuild TensorFlow\|AVX\|^$' >&2) && return 0
  return 1
}

if loads 2>/dev/null; then say "native backend already loads"; exit 0; fi

if [ "${DERMAGAN_TF_TRY_DOWNLOAD:-1}" = 1 ] && [ ! -f "$cache/tfjs-node-download-unreachable" ]; then
  say "trying the package's own install (downloads libtensorflow)…"
  if (cd "$pkg" && timeout 120 node scripts/install.js >/dev/null 2>&1) && loads; then
    say "the package's own install worked"; exit 0
  fi
  mkdir -p "$cache" && touch "$cache/tfjs-node-download-unreachable"
  say "its download host is unreachable here; building against the tensorflow-cpu wheel"
fi

# --- libtensorflow from the wheel (cached) -----------------------------------------------------
libtf="$cache/libtensorflow-$tf_version"
if [ ! -f "$libtf/.complete" ]; then
  mkdir -p "$cache/wheels"
  wheel="$(ls "$cache/wheels"/tensorflow_cpu-"$tf_version"-*.whl 2>/dev/null | head -1 || true)"
  if [ -z "$wheel" ]; then
    say "downloading tensorflow-cpu==$tf_version (about 270 MB, once)…"
    python3 -m pip download --no-deps --only-binary=:all: "tensorflow-cpu==$tf_version" -d "$cache/wheels" >&2
    wheel="$(ls "$cache/wheels"/tensorflow_cpu-"$tf_version"-*.whl | head -1)"
  fi
  say "unpacking libtensorflow from $(basename "$wheel")…"
  tmp="$(mktemp -d "$cache/unpack.XXXXXX")"
  python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
keep = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
heads = ("tensorflow/include/tensorflow/c/", "tensorflow/include/tensorflow/core/platform/", "tensorflow/include/xla/", "tensorflow/include/tsl/")
with zipfile.ZipFile(wheel) as z:
    for n in z.namelist():
        if n in keep or n.startswith(heads):
            z.extract(n, out)
PY
  mkdir -p "$tmp/lib" "$tmp/include"
  mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$tmp/lib/"
  mv "$tmp/tensorflow/include/"* "$tmp/include/"
  rm -rf "$tmp/tensorflow"
  (cd "$tmp/lib" && ln -sf libtensorflow_cc.so.2 libtensorflow.so.2 && ln -sf libtensorflow_cc.so.2 libtensorflow.so \
    && ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so)
  touch "$tmp/.complete"
  rm -rf "$libtf" && mv "$tmp" "$libtf"
fi

# --- the addon (cached per tfjs-node version, TF version and N-API) ------------------------------
rm -rf "$pkg/deps" && ln -s "$libtf" "$pkg/deps"
built="$cache/addon/tfjs-node-$pkg_version-tf-$tf_version-napi-$napi/tfjs_binding.node"
if [ ! -f "$built" ]; then
  say "building the tfjs-node addon against libtensorflow $tf_version (about 10 s)…"
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  (cd "$pkg" && node "$gyp" rebuild --nodedir="$nodedir" --module_name=tfjs_binding --module_path=./lib/napi-v8 >&2)
  mkdir -p "$(dirname "$built")"
  cp "$pkg/build/Release/tfjs_binding.node" "$built"
fi
mkdir -p "$addon_dir" && cp "$built" "$addon_dir/tfjs_binding.node"

if loads; then say "ready: @tensorflow/tfjs-node $pkg_version on libtensorflow $tf_version"; exit 0; fi
say "the native backend still does not load; dermagan will fall back to wasm (slower, said in every result)"
exit 1
