#!/usr/bin/env bash
# Checks the worker deploys: `wrangler deploy --dry-run` builds the production bundle exactly as
# `wrangler deploy` would (worker-build --release, the index embedded or as an asset) without uploading,
# then prints its size and fails if its gzip size is over the Workers Free plan's 3 MB limit.
# Usage: bash scripts/deploy-check.sh   (needs the tools scripts/install-tools.sh installs; no account)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=build/deploy
rm -rf "$out"
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
assets=$(find worker/index-assets -name '*.blob' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')
printf 'worker bundle for deploy: %d bytes raw, %d gzip (Workers Free limit %d); wrangler: %s; static assets: %d bytes\n' \
  "$raw" "$gz" "$limit" "$(grep -o 'Total Upload: .*' build/deploy.log | head -1)" "$assets"
if [ "$gz" -gt "$limit" ]; then
  echo "deploy-check: the bundle is $gz bytes gzip, over the Workers Free plan's 3 MB" >&2
  exit 1
fi
