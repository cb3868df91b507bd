#!/usr/bin/env bash
# Loopback load test of webhook ingest (durable: SQLite with synchronous=FULL): starts the
# release server on a fresh SQLite database with the demo data, runs wrk for 20 s with 64
# connections posting distinct Postmark hard bounces, checks every acknowledged event was
# stored, and prints events/s and latency.
#   scripts/load/webhooks.sh            (after `cargo leptos build --release`)
#   LOAD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<empty db> scripts/load/webhooks.sh
#                                       the same against PostgreSQL (the database must be empty)
#   LOAD_SQLITE_FROM=<file.db> scripts/load/webhooks.sh
#                                       start from a copy of this SQLite database (and its -wal)
#                                       instead of a fresh demo: two builds compared on the same
#                                       data (the demo of a newer build seeds far more history,
#                                       and a larger database costs more per insert)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
command -v wrk >/dev/null || { echo "wrk is needed: scripts/setup.sh --load"; exit 1; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; if [ -n "${KEEP_LOG:-}" ]; then cp "$dir/server.log" "$KEEP_LOG"; fi; rm -rf "$dir"' EXIT
url="${LOAD_DATABASE_URL:-sqlite://$dir/load.db}"
if [ -n "${LOAD_SQLITE_FROM:-}" ]; then
  cp "$LOAD_SQLITE_FROM" "$dir/load.db"
  for x in wal shm; do [ -f "$LOAD_SQLITE_FROM-$x" ] && cp "$LOAD_SQLITE_FROM-$x" "$dir/load.db-$x"; done
fi
DATABASE_URL="$url" LEPTOS_SITE_ADDR=127.0.0.1:3290 DEMO_RELAY_ADDR=127.0.0.1:3291 \
  RUST_LOG=${RUST_LOG:-warn} "$CARGO_TARGET_DIR/release/deliverdesk" serve --demo > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:3290/healthz >/dev/null && break; sleep 0.2; done
# CPU seconds (user + system) the server has used: /proc/PID/stat fields 14 and 15, in ticks.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
before=$(cpu $pid)
/usr/bin/time -f "%U %S" -o "$dir/wrk.cpu" \
  wrk -t2 -c64 -d20s --latency -s scripts/load/postmark-bounces.lua http://127.0.0.1:3290 | tee "$dir/wrk.txt"
after=$(cpu $pid)
kill $pid; wait $pid 2>/dev/null || true
acked=$(awk '/requests in/ {print $1}' "$dir/wrk.txt")
count="SELECT COUNT(*) FROM delivery_events WHERE provider = 'postmark'"
case "$url" in
  postgres*) stored=$(psql -Atc "$count" "$url" 2>/dev/null || echo "?") ;;
  *) stored=$(sqlite3 "$dir/load.db" "$count" 2>/dev/null || echo "?") ;;
esac
echo "acknowledged (wrk count, includes in-flight at the end): $acked; stored events: $stored"
# Both share the machine's cores: the server's CPU time per event is the figure that does not
# depend on how much of the machine the load generator took (PostgreSQL's own processes are
# not counted in it).
awk -v b="$before" -v a="$after" -v n="$acked" -v w="$(cat "$dir/wrk.cpu")" 'BEGIN {
  split(w, t, " ");
  printf "CPU over the run: server %.1f s (%.0f us per event), wrk %.1f s\n", a - b, (a - b) * 1e6 / n, t[1] + t[2] }'
