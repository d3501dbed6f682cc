#!/usr/bin/env bash
# World broadcast: LordGame against the bare gobwas/ws broadcast server
# (bench/wsecho -broadcast), the same load from lordbench -scenario chat,
# one after the other on this machine. Usage:
#   bash bench/chat-broadcast.sh [lordbench flags...]
# (default: -receivers 10000 -senders 1 -rate 1 -duration 60s). Prints both
# JSON reports and the ratio of their server CPU per delivered message.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/ ./cmd/lordgame ./cmd/lordbench ./bench/wsecho
ARGS=(${@:--receivers 10000 -senders 1 -rate 1 -duration 60s})
DATA=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
# The world limit is one message per 2 s per user by default; the senders
# of the benchmark send faster.
LORDGAME_AUTH_SIGNUPS_PER_IP=1000000 bin/lordgame -http 127.0.0.1:18680 -metrics-addr 127.0.0.1:18681 -tcp off \
  -data "$DATA" -log-level warn -chat-rate-world 1000/1s >"$DATA/lordgame.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18680/readyz >/dev/null && break; sleep 0.1; done
bin/lordbench -scenario chat -target ws://127.0.0.1:18680/ws -metrics http://127.0.0.1:18681/metrics -json "${ARGS[@]}" >"$DATA/lordgame.json"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
bin/wsecho -addr 127.0.0.1:18690 -broadcast 2>"$DATA/wsecho.log" &
pids+=($!)
sleep 0.5
bin/lordbench -scenario chat -anonymous -target ws://127.0.0.1:18690/ws -pid "${pids[1]}" -json "${ARGS[@]}" >"$DATA/wsecho.json"
echo "lordgame: $(cat "$DATA/lordgame.json")"
echo "wsecho:   $(cat "$DATA/wsecho.json")"
python3 - "$DATA/lordgame.json" "$DATA/wsecho.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
k = "server_cpu_us_per_delivered"
print(f"cpu per delivered message: lordgame {a[k]:.2f} µs, bare broadcast {b[k]:.2f} µs, ratio {a[k]/b[k]:.2f}x")
for n, r in (("lordgame", a), ("wsecho", b)):
    print(f"{n}: {r['delivered']}/{r['expected']} delivered, lost {r['lost']}, duplicates {r['duplicates']}, errors {r['errors']}, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms")
PY
