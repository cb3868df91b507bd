#!/usr/bin/env bash
# Runs every test: formatting, Rust unit and integration tests (storage tests on SQLite, and on
# PostgreSQL when TEST_DATABASE_URL is set), then the Playwright suite in Debian's Chromium
# against a freshly built release server with a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/setup.sh --test
source scripts/env.sh

echo; echo "== cargo fmt --check"
cargo fmt --all -- --check

echo; echo "== Rust tests (PostgreSQL: ${TEST_DATABASE_URL:-not set, those tests skip})"
cargo test --workspace --exclude frontend --locked --no-fail-fast 2>&1 | tee /tmp/deliverdesk-cargo-test.log
grep -E "^test result:" /tmp/deliverdesk-cargo-test.log | awk '{p+=$4; f+=$6; i+=$8} END {printf "Rust: %d passed, %d failed, %d ignored\n", p, f, i}'

echo; echo "== release build for the browser tests"
cargo leptos build --release

echo; echo "== Playwright (Chromium)"
(cd end2end && DELIVERDESK_BIN="$CARGO_TARGET_DIR/release/deliverdesk" npx playwright test)

echo; echo "all tests passed in $((SECONDS - started)) s"
