#!/usr/bin/env bash
# Reproduces the README's "The local panes, chosen with the eval" tables: starts SmolLM2 and Gemma 270M
# (with the committed LoRA) under llama-server, the worker under wrangler dev with the candidate backends
# of eval/candidates/FILE.json side by side, and runs twin eval on them with the README's samples.
# Usage: bash scripts/eval-candidates.sh [local-panes|local-panes-stops|local-panes-dry]   (default local-panes)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/twin/target}"
export PATH="$HOME/.cargo/bin:$PATH"
name="${1:-local-panes}"
file="eval/candidates/$name.json"
[ -f "$file" ] || { echo "no candidate file $file" >&2; exit 2; }
bash scripts/install-tools.sh
cargo build -q --release -p twin
twin="$CARGO_TARGET_DIR/release/twin"
server="$HOME/.cache/twin/llama-server-0.3.36/bin/llama-server"
models="$HOME/.cache/twin/models"
mkdir -p build/logs/candidates
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; pkill -P $$ 2>/dev/null || true' EXIT
OMP_WAIT_POLICY=passive "$server" -m "$models/SmolLM2-135M-Instruct.Q4_1.gguf" --host 127.0.0.1 --port 9101 \
  -c 4096 -t 2 --parallel 2 --no-webui >build/logs/candidates/smollm2.log 2>&1 & pids+=($!)
OMP_WAIT_POLICY=passive "$server" -m "$models/gemma-3-270m-q4_k_m.gguf" --host 127.0.0.1 --port 9102 \
  -c 4096 -t 2 --parallel 2 --no-webui --jinja --chat-template-file finetune/chat_template.jinja \
  --lora finetune/adapter/twin-lora.gguf >build/logs/candidates/gemma.log 2>&1 & pids+=($!)
# SmolLM2 again with DRY sampling (llama.cpp's repetition penalty; measured and not shipped), only for a
# candidate file that asks for it: three servers on two cores would skew every latency column.
if grep -q '{smollm2-dry}' "$file"; then
  OMP_WAIT_POLICY=passive "$server" -m "$models/SmolLM2-135M-Instruct.Q4_1.gguf" --host 127.0.0.1 --port 9103 \
    -c 4096 -t 2 --parallel 2 --no-webui --dry-multiplier 0.8 >build/logs/candidates/smollm2-dry.log 2>&1 & pids+=($!)
fi
backends=$(sed -e 's#{smollm2-dry}#http://127.0.0.1:9103#g' -e 's#{smollm2}#http://127.0.0.1:9101#g' \
  -e 's#{gemma}#http://127.0.0.1:9102#g' "$file" | tr -d '\n')
(cd worker && WRANGLER_SEND_METRICS=false CI=true npx wrangler dev --local --ip 127.0.0.1 --port 8799 \
  --var "BACKENDS:$backends" >../build/logs/candidates/wrangler.log 2>&1) & pids+=($!)
for _ in $(seq 1 600); do
  curl -fs http://127.0.0.1:8799/api/health >/dev/null 2>&1 && break
  sleep 1
done
ids() { python3 -c "import json,sys; print(','.join(b['id'] for b in json.load(open('$file')) if b['id'].startswith('$1')))"; }
models_for() { for b in ${1//,/ }; do printf -- '--model %s=local ' "$b"; done; }
rag=$(ids rag-); tuned=$(ids tuned-)
if [ -n "$rag" ]; then
  # shellcheck disable=SC2046
  "$twin" eval --endpoint http://127.0.0.1:8799 --backends "$rag" --sets answerable,unanswerable,probes \
    --limit 10 --sample 1 --out "build/eval/$name-rag" $(models_for "$rag")
fi
if [ -n "$tuned" ]; then
  # shellcheck disable=SC2046
  "$twin" eval --endpoint http://127.0.0.1:8799 --backends "$tuned" --sets voice,unanswerable,probes \
    --limit 8 --sample 1 --out "build/eval/$name-tuned" $(models_for "$tuned")
fi
