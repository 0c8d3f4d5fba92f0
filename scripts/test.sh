#!/usr/bin/env bash
# Installs the test prerequisites (build tools, Debian's chromium) and runs every test:
# format and lint checks, the release build, the browser end-to-end tests, a bounded
# property-test run of the decoder, and the Rust tests (last, so their summary closes the log).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh --browser
. scripts/env.sh

step() { printf '\n=== %s\n' "$*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native, all targets)"
cargo clippy --workspace --all-targets --features allocscope/ssr -- -D warnings
step "clippy (wasm32 app)"
cargo clippy -p allocscope --target wasm32-unknown-unknown --features csr -- -D warnings

step "trunk build --release"
trunk build --release

step "bundle size (issue #6)"
bash scripts/size-check.sh

step "the debug-bundle fixtures are what scripts/gen_bundle.py makes"
python3 scripts/gen_bundle.py >/dev/null
if ! git diff --quiet -- crates/model/tests/fixtures/bundles 2>/dev/null; then
  echo "crates/model/tests/fixtures/bundles differ from what scripts/gen_bundle.py makes: regenerate and commit them" >&2
  exit 1
fi

step "build the Nomad API test double and the CLI (allocscope serve) for the live tests"
cargo build -p nomad-double -p allocscope-cli

step "browser end-to-end tests (Playwright, Debian chromium)"
npx playwright test 2>&1 | tee -a "$log"

step "decoder property tests, ${PROPTEST_CASES:=20000} cases each"
PROPTEST_CASES="$PROPTEST_CASES" cargo test -p allocscope-model --test no_panic 2>&1 | tee -a "$log"

step "Rust tests (model, CLI, app SSR)"
cargo test --workspace --features allocscope/ssr 2>&1 | tee -a "$log"

# One closing line for every runner above (cargo's last line may be a doc-test binary's
# "0 passed"): the sum of cargo's per-binary results and Playwright's total.
count() { { grep -oE "$1" "$log" || true; } | awk -v f="$2" '{s += $f} END {print s + 0}'; }
cargo_passed=$(count '^test result: [a-z]+\. [0-9]+ passed' 4)
cargo_failed=$(count '; [0-9]+ failed;' 2)
pw_passed=$(count '^ +[0-9]+ passed' 1)
pw_failed=$(count '^ +[0-9]+ failed' 1)
printf '\nallocscope: %d passed, %d failed\n' $((cargo_passed + pw_passed)) $((cargo_failed + pw_failed))
