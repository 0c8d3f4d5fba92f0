#!/usr/bin/env bash
# allocscope's benchmark (issue #6): builds the release decode-benchmark page and runs it,
# then the built app, in headless Chromium through Playwright. Prints one line per measure
# (`name value unit`, with the budget and PASS/OVER where there is one) and writes the same
# figures to target/bench/results.json. See bench/README.md.
#
#   scripts/bench.sh           use dist/ as it is (built by trunk build --release)
#   scripts/bench.sh --build   run trunk build --release first (also done when dist/ is missing)
#
# Installs nothing: run scripts/install-tools.sh --browser first on a new machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

build=false
for arg in "$@"; do
  case "$arg" in
    --build) build=true ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
command -v cargo >/dev/null || missing+=("cargo")
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || missing+=("the wasm32-unknown-unknown target")
[ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen 0.2.130" ] || missing+=("wasm-bindgen-cli 0.2.130")
command -v node >/dev/null || missing+=("node")
command -v python3 >/dev/null || missing+=("python3")
[ -d node_modules/@playwright/test ] || missing+=("the npm packages (Playwright)")
[ -x "${BENCH_CHROMIUM:-/usr/bin/chromium}" ] || missing+=("chromium (${BENCH_CHROMIUM:-/usr/bin/chromium})")
if $build || [ ! -f dist/index.html ]; then
  [ "$(trunk --version 2>/dev/null || true)" = "trunk 0.21.14" ] || missing+=("trunk 0.21.14")
fi
if [ ${#missing[@]} -gt 0 ]; then
  printf 'bench: missing %s\n' "${missing[@]}" >&2
  echo "bench: run bash scripts/install-tools.sh --browser first" >&2
  exit 1
fi

if $build || [ ! -f dist/index.html ]; then
  echo "[bench] trunk build --release" >&2
  trunk build --release
fi

echo "[bench] building the decode benchmark (bench/wasm, release)" >&2
cargo build --release --target wasm32-unknown-unknown \
  --manifest-path bench/wasm/Cargo.toml --target-dir target/bench/cargo
rm -rf target/bench/site
mkdir -p target/bench/site
wasm-bindgen --target web --out-dir target/bench/site/pkg \
  target/bench/cargo/wasm32-unknown-unknown/release/allocscope_bench.wasm
# The decoder as the app ships it: the same release profile (bench/wasm/Cargo.toml) and
# the same wasm-opt -Oz that trunk runs (index.html's data-wasm-opt="z").
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types \
  target/bench/site/pkg/allocscope_bench_bg.wasm -o target/bench/site/pkg/allocscope_bench_bg.wasm
cp bench/page/index.html bench/page/bench.js target/bench/site/

# The Nomad API double, for the live paged-list measure.
echo "[bench] building the Nomad API double (release)" >&2
cargo build --release -p nomad-double

exec node bench/run.mjs
