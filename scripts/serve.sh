#!/usr/bin/env bash
# Installs what is missing, builds allocscope and serves it with the bundled demo snapshot on
# http://127.0.0.1:8080 (rebuilding on changes). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
. scripts/env.sh
echo "allocscope: building, then serving on http://127.0.0.1:8080/#/allocations (demo snapshot)"
exec trunk serve --release
