#!/usr/bin/env bash
# Reproduces the committed tiny adapter (finetune/adapter/): a few minutes of LoRA on CPU over Gemma 3 270M,
# converted to a GGUF LoRA for llama-server. Installs the Python stack once (~6 GB, ~7 minutes) into
# ~/.cache/twin/venv-finetune.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/twin/target}"
venv="${TWIN_CACHE:-$HOME/.cache/twin}/venv-finetune"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, trl, peft" 2>/dev/null; then
  echo "finetune: installing the Python stack into $venv (once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r finetune/requirements.txt
fi
models=$(bash scripts/models.sh)
llama_server=$(bash scripts/llama-server.sh)
llama_cpp="${TWIN_CACHE:-$HOME/.cache/twin}/build/llama_cpp_python-0.3.36/vendor/llama.cpp"
cargo run -q -p twin -- dataset --brief-system --strategies voice,refusals --out build/dataset-tiny
mkdir -p finetune/adapter
OMP_NUM_THREADS=2 "$venv/bin/python" finetune/train.py \
  --base "$models/gemma-3-270m-q4_k_m.gguf" \
  --train build/dataset-tiny/train.jsonl --valid build/dataset-tiny/valid.jsonl \
  --out build/finetune-tiny --max-examples 64 --max-steps 150 --grad-accum 1 --max-seq-len 384 \
  --lora-r 8 --lora-alpha 16 --lr 3e-4 --seed 42 \
  --gguf-lora finetune/adapter/twin-lora.gguf --llama-cpp "$llama_cpp"
cp build/finetune-tiny/summary.json finetune/adapter/training.json
cp build/dataset-tiny/train.sha256 finetune/adapter/dataset.sha256
echo "finetune: wrote finetune/adapter/twin-lora.gguf ($(du -h finetune/adapter/twin-lora.gguf | cut -f1)); llama-server: $llama_server"
