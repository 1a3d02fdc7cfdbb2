#!/usr/bin/env bash
# Builds the widget with Trunk into dist/widget/ and prints its size raw, gzip and brotli (wasm + JS glue).
# Fails above 150 KB brotli (the goal is 100 KB).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/widget/node_modules/.bin:$HOME/.cargo/bin:$PATH"
[ -x widget/node_modules/.bin/wasm-opt ] || (cd widget && npm ci --no-audit --no-fund >&2)
trunk build --release --offline >&2
dir=dist/widget
wasm="$dir/twin-widget_bg.wasm"
js="$dir/twin-widget.js"
loader="$dir/twin.js"
for f in "$wasm" "$js" "$loader"; do [ -f "$f" ] || { echo "build-widget: $f is missing" >&2; exit 1; }; done
size() { # label command...
  local total=0 n
  for f in "$wasm" "$js" "$loader"; do n=$("${@:2}" "$f" | wc -c); total=$((total + n)); done
  echo "$total"
}
raw=$(size raw cat)
gz=$(size gzip gzip -9 -c)
br=$(size brotli brotli -q 11 -c)
printf 'widget size (wasm + JS glue + loader): %d bytes raw, %d gzip, %d brotli (goal 100 KB brotli, limit 150 KB)\n' "$raw" "$gz" "$br"
# The widget puts its stylesheet in a <style> in its shadow root: a page with a Content Security Policy
# allows it by this hash (README, "Deploy your own").
printf "widget stylesheet for a Content-Security-Policy: style-src 'sha256-%s'\n" \
  "$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' widget/style.css)"
# What takes the space, by crate (twiggy on the wasm as cargo built it, names kept).
built="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/widget/twin-widget.wasm"
if command -v twiggy >/dev/null && [ -f "$built" ]; then
  twiggy top -n 1000000 -f csv "$built" | python3 scripts/widget-crates.py 8 ||
    echo "build-widget: the breakdown by crate failed (twiggy or python3); the size above stands" >&2
fi
if [ "$br" -gt $((150 * 1024)) ]; then
  echo "build-widget: $br bytes brotli is over the 150 KB limit" >&2
  exit 1
fi
