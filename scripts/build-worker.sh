#!/usr/bin/env bash
# Builds the worker: the index blob it embeds (from content/), then the wasm worker with worker-build,
# pointed at locally installed wasm-bindgen and esbuild (worker-build would otherwise download them).
# Run from worker/ (wrangler's [build] command does).
set -euo pipefail
cd "$(dirname "$0")/../worker"
export PATH="$HOME/.cargo/bin:$PATH"
cargo run -q -p twin -- index --content ../content --out ../build/index.blob
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
worker-build --release
