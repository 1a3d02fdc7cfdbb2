#!/usr/bin/env bash
# Builds the demo index natively, records native top-5 URLs for a few questions in build/parity.json, then
# runs the wasm32 test (under node, via wasm-bindgen-test-runner) that must return the same.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -p twin -- index >/dev/null
questions=(
  "How did you stop the salt air from wrecking your Driftwood weather station?"
  "What sensor does your Limpet tide gauge use?"
  "How do I get rid of database is locked errors?"
  "How do you feed your sourdough starter?"
  "What mistakes did you make soldering your keyboard?"
)
{
  for q in "${questions[@]}"; do
    printf '%s\n' "$q"
    cargo run -q -p twin -- search --json -k 5 "$q" | python3 -c 'import sys,json; print(json.dumps([json.loads(l)["url"] for l in sys.stdin]))'
  done
} | python3 -c '
import sys, json
lines = sys.stdin.read().splitlines()
print(json.dumps([{"question": q, "urls": json.loads(u)} for q, u in zip(lines[0::2], lines[1::2])], indent=1))
' > build/parity.json
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p twin-index --no-default-features --target wasm32-unknown-unknown --test wasm_parity
