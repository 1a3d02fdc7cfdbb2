#!/usr/bin/env bash
# Writes the index the worker is built with: `twin index` (content/ → build/index.blob), then either
# build/index.embed (the blob, embedded in the worker) or, for an index too big to embed, the blob as a
# static asset in worker/index-assets/ with build/index.asset describing it (path, bytes, CRC-32).
# The worker's build, CI and the tests run it; run it before compiling the worker crate.
#
# The index is embedded up to TWIN_INDEX_EMBED_MAX_BYTES (1,500,000: with the ~1.3 MB gzip worker that
# stays under the Workers Free plan's 3 MB gzip script limit); above it, or with TWIN_INDEX_MODE=asset, it
# is served to the worker as a static asset (binding ASSETS) and loaded once per isolate.
# TWIN_INDEX_MODE=embed forces embedding.
set -euo pipefail
# TWIN_INDEX_FROM=<blob> builds the worker with that blob instead (the scale bench's generated corpora);
# a relative path is taken from where the script was started.
from="${TWIN_INDEX_FROM:+$(realpath "$TWIN_INDEX_FROM")}"
cd "$(dirname "$0")/.."
mkdir -p build
export PATH="$HOME/.cargo/bin:$PATH"
blob="${from:-build/index.blob}"
if [ -z "$from" ]; then
  cargo run -q -p twin -- index --content content --out build/index.blob >&2
fi
[ -f "$blob" ] || { echo "worker-index: no index blob at $blob" >&2; exit 1; }
assets=worker/index-assets
size=$(stat -c %s "$blob")
mode="${TWIN_INDEX_MODE:-auto}"
max="${TWIN_INDEX_EMBED_MAX_BYTES:-1500000}"
case "$mode" in
  auto | embed | asset) ;;
  *) echo "worker-index: TWIN_INDEX_MODE must be auto, embed or asset, not '$mode'" >&2; exit 1 ;;
esac
mkdir -p "$assets"
rm -f "$assets"/index-*.blob
if [ "$mode" = asset ] || { [ "$mode" = auto ] && [ "$size" -gt "$max" ]; }; then
  # One static asset holds at most 25 MiB (Workers Static Assets' per-file limit).
  if [ "$size" -gt $((25 * 1024 * 1024)) ]; then
    echo "worker-index: the index is $size bytes, over the 25 MiB one static asset may hold (README, \"Scale\")" >&2
    exit 1
  fi
  # The blob's last four bytes are its CRC-32, little-endian.
  crc=$(tail -c 4 "$blob" | od -An -tx1 | awk '{print $4 $3 $2 $1}')
  cp "$blob" "$assets/index-$crc.blob"
  : > build/index.embed
  printf '/index-%s.blob %s %s\n' "$crc" "$size" "$crc" > build/index.asset
  echo "worker-index: the index ($size bytes) is served to the worker as the static asset index-$crc.blob" >&2
else
  cp "$blob" build/index.embed
  : > build/index.asset
  echo "worker-index: the index ($size bytes) is embedded in the worker" >&2
fi
