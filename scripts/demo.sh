#!/usr/bin/env bash
# The demo, for now: index the demo blog and show what retrieval returns for the three probe questions.
# (The side-by-side chat demo arrives with the worker and widget issues.)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/twin/target}"
cargo run -q -p twin -- index
while IFS= read -r q; do
  printf '\n== %s\n' "$q"
  cargo run -q -p twin -- search -k 3 "$q"
done < <(sed -n 's/^question = "\(.*\)"$/\1/p' content/probes.toml)
