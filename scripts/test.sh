#!/usr/bin/env bash
# Installs the test prerequisites (build tools, Debian's chromium) and runs every test:
# format and lint checks, the release build, the browser end-to-end tests, a bounded
# property-test run of the decoder, and the Rust tests (last, so their summary closes the log).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh --browser
. scripts/env.sh

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --features allocscope/ssr -- -D warnings
step "clippy (wasm32 app)"
cargo clippy -p allocscope --target wasm32-unknown-unknown --features csr -- -D warnings

step "trunk build --release"
trunk build --release

step "browser end-to-end tests (Playwright, Debian chromium)"
npx playwright test

step "decoder property tests, ${PROPTEST_CASES:=20000} cases each"
PROPTEST_CASES="$PROPTEST_CASES" cargo test -p allocscope-model --test no_panic

step "Rust tests (model, CLI, app SSR)"
cargo test --workspace --features allocscope/ssr
