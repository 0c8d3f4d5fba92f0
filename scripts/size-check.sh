#!/usr/bin/env bash
# The first visit of the standalone app, as gzip -9 bytes of what index.html loads
# (index.html, the wasm-bindgen JS, the wasm, the CSS). Prints each figure and the total
# against issue #6's budget of 200 KB, and fails above the ceiling.
#
# The budget is not met yet (see the README's "Size" section): the ceiling is a ratchet
# just above the current build, so the size can only go down until the budget holds. Lower
# SIZE_CEILING_KB whenever the build shrinks; set it to the budget once it fits.
# Raised once, from 400 to 412, by issue #12: its live-sync state machine and driver (wasm
# gzip 392,099 -> 399,732 B) and forward-compatible decoding (-> 405,031 B), measured in one
# session (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET_KB=200
SIZE_CEILING_KB=${SIZE_CEILING_KB:-412}
dist=${1:-dist}
total=0
for f in index.html allocscope-app.js allocscope-app_bg.wasm app.css; do
  [ -f "$dist/$f" ] || { echo "size-check: $dist/$f is missing: run trunk build --release first" >&2; exit 1; }
  n=$(gzip -9 -c "$dist/$f" | wc -c)
  total=$((total + n))
  printf 'size %-24s %8d B gzip -9 (%d B raw)\n' "$f" "$n" "$(wc -c < "$dist/$f")"
done
kb=$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')
if [ "$total" -le $((BUDGET_KB * 1024)) ]; then verdict="within the ${BUDGET_KB} KB budget"; else verdict="OVER the ${BUDGET_KB} KB budget of issue #6"; fi
echo "size first visit: ${kb} KB gzip -9, ${verdict}; CI ceiling ${SIZE_CEILING_KB} KB"
if [ "$total" -gt $((SIZE_CEILING_KB * 1024)) ]; then
  echo "size-check: the first visit grew past the ${SIZE_CEILING_KB} KB ceiling; see what was added (twiggy top on the wasm)" >&2
  exit 1
fi
