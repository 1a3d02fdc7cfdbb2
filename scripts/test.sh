#!/usr/bin/env bash
# Runs every test of twin: the native tests (including the worker end to end under wrangler dev, with
# real local models, and the optional dense baseline), then the wasm32 parity test of the packed index.
# Expects the tools that scripts/install-tools.sh installs (.ci/run calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-widget.sh   # the browser tests load the built widget; fails above 150 KB brotli
cargo test
bash scripts/worker-index.sh >/dev/null   # the index the worker is built with (embedded or an asset)
cargo test -p twin-worker   # the worker's native unit tests (route table)
bash scripts/deploy-check.sh   # wrangler deploy --dry-run: the production bundle builds and fits the Free plan
cargo test -p twin-dense   # the dense baseline with its real model (scripts/embedder.sh fetches it)
bash scripts/wasm-parity.sh
# The fine-tune's training sample (standard library only; the training itself is scripts/finetune-tiny.sh).
(cd finetune && python3 -B -m unittest test_sample)
