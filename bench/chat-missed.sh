#!/usr/bin/env bash
# A client that missed 1,000 messages, end to end: lordbench -scenario chat
# -missed against one fresh lordgame (all roles in one process), on SQLite,
# or on PostgreSQL when a DSN is given (the run makes a schema of its own
# there and drops it after). Usage:
#   bash bench/chat-missed.sh [postgres://...]
# MISSED (default 1000) and REPEAT (default 5) change the matrix: REPEAT
# runs of one receiver in a group after a resume, and fewer of a fresh login,
# private conversations, the world and 100 receivers coming back at once.
# Prints each run's JSON report and one line per run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
MISSED=${MISSED:-1000}
REPEAT=${REPEAT:-5}
DATA=$(mktemp -d)
pid=""
DB=()
SCHEMA=""
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [ -n "$SCHEMA" ] && psql -q "$BASE" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT
if [ $# -gt 0 ]; then
  BASE=$1
  SCHEMA="lgmissed_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql -q "$BASE" -c "CREATE SCHEMA $SCHEMA" >/dev/null
  sep='?'; [[ "$BASE" == *\?* ]] && sep='&'
  DB=(-db "${BASE}${sep}search_path=${SCHEMA}")
fi
# The send limits are raised so that the senders are quick: the resync is
# what is measured.
bin/lordgame -http 127.0.0.1:18780 -metrics-addr 127.0.0.1:18781 -tcp off -data "$DATA" -log-level warn \
  -auth-signups-per-ip 1000000 -chat-rate-group 100000/1s -chat-rate-private 100000/1s -chat-rate-world 100000/1s \
  -route-limits chat.send=100000/s:100000 "${DB[@]}" >"$DATA/lordgame.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do curl -sf http://127.0.0.1:18780/readyz >/dev/null && break; sleep 0.1; done
bench() {
  bin/lordbench -scenario chat -target ws://127.0.0.1:18780/ws -metrics http://127.0.0.1:18781/metrics -json -missed "$MISSED" "$@" | tee -a "$DATA/runs.json"
}
for _ in $(seq 1 "$REPEAT"); do bench -missed-in group -receivers 1 -senders 2; done
for _ in 1 2 3; do bench -missed-in group -receivers 1 -senders 2 -missed-fresh; done
for _ in 1 2 3; do bench -missed-in private -receivers 1 -senders 2; done
for _ in 1 2 3; do bench -missed-in world -receivers 1 -senders 2; done
bench -missed-in group -receivers 100 -senders 2
python3 - "$DATA/runs.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    how = "fresh login" if r["fresh_login"] else f"{r['resync_resumed']} resumed"
    print(f"{r['conversation']:7} {r['receivers']:3} receivers ({how}): {r['resync_messages']}/{r['expected']} held, lost {r['lost']}, duplicates {r['duplicates']}, "
          f"resync p50 {r['resync_p50_ms']:.1f} ms max {r['resync_ms']:.1f} ms (dial {r['resync_connect_ms']:.1f} ms, inbox {r['resync_inbox_ms']:.1f} ms, "
          f"{r['resync_sync_calls']} chat.sync), sent {r['accepted']} in {r['send_s']:.2f} s, errors {r['errors']}")
PY
