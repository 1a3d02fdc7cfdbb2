#!/usr/bin/env bash
# The demo on a fresh machine: installs what is missing, builds the index, the widget and the worker,
# starts the local model servers and wrangler dev, serves the demo blog page and prints its URL.
# Ctrl-C stops everything. With ANTHROPIC_API_KEY set the rag pane uses real Haiku (TWIN_HAIKU_MODEL
# picks the model); with TWIN_GPU_URL (and GPU_TOKEN) set the tuned pane uses that GPU service.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/twin/target}"
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/install-tools.sh
bash scripts/worker-index.sh
bash scripts/build-widget.sh
lora_args=()
if [ -f finetune/adapter/twin-lora.gguf ]; then
  lora_args=(--gpu-model gemma --lora finetune/adapter/twin-lora.gguf)
fi
exec cargo run -q -p twin -- demo "${lora_args[@]}"
