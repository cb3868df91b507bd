#!/usr/bin/env bash
# Webhook ingest cost in instructions per event: a figure that does not move with the machine's
# load, for comparing two builds where webhooks.sh's timings are too noisy (±5-10 % between
# runs on a shared 2-core machine). Starts the release server under callgrind twice, posts
# N1 and then N2 distinct Postmark hard bounces (64 at a time, with curl), and prints
# (instructions(N2) - instructions(N1)) / (N2 - N1): start-up, seeding and the first
# credential check cancel out. Instructions are not time (cache misses, fsync and the
# scheduler are not in them), so report both.
#   scripts/load/webhooks-instructions.sh                 (after `cargo leptos build --release`)
#   LOAD_SQLITE_FROM=<file.db> scripts/load/webhooks-instructions.sh
#                                      start each run from a copy of this SQLite database
#                                      (otherwise from a demo database the build seeds first,
#                                      natively: seeding under callgrind would take minutes)
#   N1=500 N2=3000 (the defaults)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
n1=${N1:-500}
n2=${N2:-3000}
bin="$CARGO_TARGET_DIR/release/deliverdesk"
dir=$(mktemp -d)
trap 'pkill -INT -f "callgrind-out-file=$dir" 2>/dev/null || true; rm -rf "$dir"' EXIT

# One curl config entry per event, each a new event for a new address.
requests() {
  local n=$1 i id
  for ((i = 0; i < n; i++)); do
    id=$(printf '7%09d' "$i")
    [ "$i" -gt 0 ] && echo next
    cat <<EOF
url = "http://127.0.0.1:3390/webhooks/postmark"
header = "Content-Type: application/json"
header = "Authorization: Basic YWNtZS13ZWJob29rczphY21lLWRlbW8td2ViaG9vay1zZWNyZXQ="
data = "{\"RecordType\":\"Bounce\",\"ID\":$id,\"Type\":\"HardBounce\",\"TypeCode\":1,\"Name\":\"Hard bounce\",\"MessageID\":\"load-$id\",\"Description\":\"The server was unable to deliver your message (ex: unknown user, mailbox not found).\",\"Details\":\"smtp;550 5.1.1 The email account that you tried to reach does not exist.\",\"Email\":\"load-$id@example.com\",\"BouncedAt\":\"2026-11-23T09:00:00Z\",\"Inactive\":true,\"CanActivate\":true}"
output = "/dev/null"
write-out = "%{http_code}\n"
EOF
  done
}

healthy() {
  for _ in $(seq 600); do curl -sf http://127.0.0.1:3390/healthz >/dev/null && return; sleep 1; done
  echo "the server did not start" >&2
  exit 1
}

seed="${LOAD_SQLITE_FROM:-}"
if [ -z "$seed" ]; then
  seed="$dir/seed.db"
  DATABASE_URL="sqlite://$seed" LEPTOS_SITE_ADDR=127.0.0.1:3390 DEMO_RELAY_ADDR=127.0.0.1:3391 \
    RUST_LOG=warn "$bin" serve --demo > "$dir/seed.log" 2>&1 &
  pid=$!
  healthy
  kill "$pid"
  wait "$pid" 2>/dev/null || true
fi

# Prints the server's total instructions after `n` events, checking each was stored.
run() {
  local n=$1 db="$dir/load-$1.db" out="$dir/cg-$1.out"
  cp "$seed" "$db"
  for x in wal shm; do [ -f "$seed-$x" ] && cp "$seed-$x" "$db-$x"; done
  requests "$n" > "$dir/requests-$n"
  DATABASE_URL="sqlite://$db" LEPTOS_SITE_ADDR=127.0.0.1:3390 DEMO_RELAY_ADDR=127.0.0.1:3391 \
    RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve --demo \
    > "$dir/server-$n.log" 2>&1 &
  local pid=$!
  healthy
  local codes
  codes=$(curl -s --no-progress-meter --parallel --parallel-max 64 -K "$dir/requests-$n" | sort | uniq -c | xargs)
  kill -INT "$pid"
  wait "$pid" 2>/dev/null || true
  [ "$codes" = "$n 200" ] || { echo "not every request was answered 200: $codes" >&2; exit 1; }
  local stored
  stored=$(sqlite3 "$db" "SELECT COUNT(*) FROM delivery_events WHERE recipient LIKE 'load-7%'")
  [ "$stored" = "$n" ] || { echo "$stored of $n events stored" >&2; exit 1; }
  awk '/^(summary|totals):/ {print $2; exit}' "$out"
}

a=$(run "$n1")
b=$(run "$n2")
echo "instructions: $a after $n1 events, $b after $n2"
awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
  'BEGIN { printf "instructions per event: %.0f\n", (b - a) / (n2 - n1) }'
