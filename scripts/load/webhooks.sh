#!/usr/bin/env bash
# Loopback load test of webhook ingest (durable: SQLite with synchronous=FULL): starts the
# release server on a fresh SQLite database with the demo data, runs wrk for 20 s with 64
# connections posting distinct Postmark hard bounces, checks every acknowledged event was
# stored, and prints events/s and latency.
#   scripts/load/webhooks.sh            (after `cargo leptos build --release`)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 1; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
DATABASE_URL="sqlite://$dir/load.db" LEPTOS_SITE_ADDR=127.0.0.1:3290 DEMO_RELAY_ADDR=127.0.0.1:3291 \
  RUST_LOG=warn "$CARGO_TARGET_DIR/release/deliverdesk" serve --demo > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:3290/healthz >/dev/null && break; sleep 0.2; done
wrk -t2 -c64 -d20s --latency -s scripts/load/postmark-bounces.lua http://127.0.0.1:3290 | tee "$dir/wrk.txt"
kill $pid; wait $pid 2>/dev/null || true
acked=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
stored=$(sqlite3 "$dir/load.db" "SELECT COUNT(*) FROM delivery_events WHERE provider = 'postmark'" 2>/dev/null || echo "?")
echo "acknowledged (wrk count, includes in-flight at the end): $acked; stored events: $stored"
