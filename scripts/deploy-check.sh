#!/usr/bin/env bash
# Checks the worker deploys: `wrangler deploy --dry-run` builds the production bundle exactly as
# `wrangler deploy` would (worker-build --release, the index embedded or as an asset) without uploading,
# then prints its size and fails if its gzip size is over the Workers Free plan's 3 MB limit.
# Usage: bash scripts/deploy-check.sh   (needs the tools scripts/install-tools.sh installs; no account)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=build/deploy
mkdir -p build
rm -rf "$out"
# The persona becomes the system prompt: a starter template from `twin init` is not deployed.
if grep -q -e 'STARTER written by `twin init`' -e '^TODO:' -e '^- TODO:' content/persona.md; then
  echo "deploy-check: content/persona.md still has twin init's starter text (STARTER or TODO lines): write the voice first" >&2
  exit 1
fi
(cd worker && npx --no-install wrangler deploy --dry-run --outdir "../$out") > build/deploy.log 2>&1 || {
  tail -30 build/deploy.log >&2
  echo "deploy-check: wrangler deploy --dry-run failed (log: build/deploy.log)" >&2
  exit 1
}
limit=3000000
raw=0
gz=0
for f in "$out"/*.js "$out"/*.wasm; do
  [ -f "$f" ] || continue
  raw=$((raw + $(wc -c < "$f")))
  gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
done
[ "$raw" -gt 0 ] || { echo "deploy-check: no bundle in $out" >&2; exit 1; }
assets=0
for f in worker/index-assets/*.blob; do
  [ -f "$f" ] && assets=$((assets + $(wc -c < "$f")))
done
# wrangler's own gzip count ("Total Upload: X KiB / gzip: Y KiB"), in bytes; the check uses the larger.
wgz=$(sed -n 's/.*gzip: \([0-9.]*\) KiB.*/\1/p' build/deploy.log | head -1)
if [ -z "$wgz" ]; then
  echo "deploy-check: wrangler's log has no 'gzip: N KiB' size line (its output changed?): see build/deploy.log" >&2
  exit 1
fi
wgz_bytes=$(python3 -c "import sys; print(int(float(sys.argv[1]) * 1024))" "$wgz")
gate=$(( gz > wgz_bytes ? gz : wgz_bytes ))
printf 'worker bundle for deploy: %d bytes raw, %d gzip (gzip -9), %d gzip (wrangler); Workers Free limit %d; static assets: %d bytes\n' \
  "$raw" "$gz" "$wgz_bytes" "$limit" "$assets"
if [ "$gate" -gt "$limit" ]; then
  echo "deploy-check: the bundle is $gate bytes gzip, over the Workers Free plan's 3 MB" >&2
  exit 1
fi
