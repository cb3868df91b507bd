#!/usr/bin/env bash
# Installs what is missing, builds a release, and serves Deliverdesk with demo data on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
echo; echo "== building (release)"
cargo leptos build --release
exec "$CARGO_TARGET_DIR/release/deliverdesk" serve --demo "$@"
