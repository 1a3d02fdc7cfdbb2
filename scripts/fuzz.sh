#!/usr/bin/env bash
# The long fuzz run: every twin-fuzz target, then the widget's markdown renderer, for SECONDS each
# (default 600: ten minutes a target, about 100 minutes in all), built in release. Prints one table row
# per target (cases, time, result); a failure prints the smallest failing input and exits non-zero.
# The short run is part of `cargo test` (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
case "$secs" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;; esac
cargo run --release -q -p twin-fuzz -- --seconds "$secs"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
TWIN_FUZZ_SECONDS="$secs" cargo test --release -q -p twin-widget fuzz_markdown -- --nocapture >"$log" 2>&1 || status=$?
grep -E '^\| markdown' "$log" || true
if [ "$status" -ne 0 ]; then cat "$log" >&2; exit "$status"; fi
