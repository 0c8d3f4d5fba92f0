#!/usr/bin/env bash
# Installs what allocscope's build and tests need, skipping whatever is already there at the
# right version, so it is cheap to run every time. Nothing is downloaded from GitHub: trunk
# finds wasm-bindgen and wasm-opt on PATH at the versions pinned in Trunk.toml.
#
#   scripts/install-tools.sh            build tools (wasm target, trunk, wasm-bindgen, npm packages)
#   scripts/install-tools.sh --browser  the same, plus Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen version in Cargo.lock
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[install-tools] %s\n' "$*"; }

want_browser=false
[ "${1:-}" = "--browser" ] && want_browser=true

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION from crates.io (about 13 minutes on 2 cores, once per machine)"
  # trunk 0.22 needs a newer rustc than these machines have.
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Not --locked: its published lockfile pins a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm: binaryen 132 (wasm-opt; Debian's is too old for current wasm-bindgen output) and
# Playwright (the test runner only; the browser comes from Debian).
# A copy of the lockfile inside node_modules marks what was installed.
stamp=node_modules/.allocscope-installed-lock.json
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/playwright ] \
   || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if $want_browser && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
say "tools ready: $(trunk --version), $(wasm-bindgen --version), $(node_modules/.bin/wasm-opt --version | cut -d' ' -f1-3)"
