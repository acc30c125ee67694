#!/usr/bin/env bash
# Install what `dermagan` needs to run: npm packages (no install scripts run, see .npmrc) and the
# native TensorFlow backend for tfjs (scripts/install-native-tf.sh; cached in ~/.cache/dermagan).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[setup] npm packages…" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "[setup] native TensorFlow backend…" >&2
bash scripts/install-native-tf.sh || echo "[setup] native TensorFlow unavailable: dermagan will run on wasm (slower)" >&2
echo "[setup] pretrained networks (Inception-2015, LPIPS-VGG16, EfficientNet-Lite2)…" >&2
node --import tsx scripts/provision-models.ts
echo "[setup] done: try 'npx dermagan --help'" >&2
