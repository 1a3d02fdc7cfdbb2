#!/usr/bin/env bash
# Builds the worker: the index it is built with (scripts/worker-index.sh: embedded, or a static asset for
# a big one), then the wasm worker with worker-build, pointed at locally installed wasm-bindgen and esbuild
# (worker-build would otherwise download them). Run from worker/ (wrangler's [build] command does).
set -euo pipefail
cd "$(dirname "$0")/../worker"
export PATH="$HOME/.cargo/bin:$PATH"
bash ../scripts/worker-index.sh
# The build the probe cache's keys name (worker/src/probe_cache.rs): a new commit never replays old answers.
TWIN_BUILD_ID="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
export TWIN_BUILD_ID
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
worker-build --release
