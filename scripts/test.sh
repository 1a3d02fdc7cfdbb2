#!/usr/bin/env bash
# Runs every test of twin: the native workspace tests, then the wasm32 parity test of the packed index.
# Expects the tools .ci/run installs (wasm32 target, wasm-bindgen-cli matching the pinned version).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
scripts/wasm-parity.sh
