#!/usr/bin/env bash
# The cost of a remote hop under load: the same echo route (game.echo, a
# route of the game role) served in-process and by another node, through
# a WebSocket gateway. Usage:
#   bash bench/cluster-hop.sh   (CONNS=1000, DURATION=30s, RATE=0)
# RATE is lordbench's -rate: 0 is a closed loop (every connection sends its
# next request when the answer came), else that many requests per second
# in all on a fixed schedule (the same load for both, so the CPU per
# request is compared at the same rate).
# First one node with the roles gateway and game (game.echo runs where it
# arrives), then a gateway node and a game node (the gateway forwards every
# request over NATS request/reply). lordbench runs the rpc scenario against
# the gateway in both; the script prints the latency and the server CPU per
# request: the nodes' and nats-server's CPU (user + system, from /proc) over
# the run divided by the requests answered. Needs NATS with JetStream on
# 127.0.0.1:4222 and PostgreSQL on 127.0.0.1:5432; it uses a database of
# its own (lgbenchhop) and a NATS prefix of its own, and stops every node it
# started when it ends. DEBUG=1 also serves net/http/pprof on each node at
# its HTTP port + 2000 (-debug).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
CONNS=${CONNS:-1000}; DURATION=${DURATION:-30s}; RATE=${RATE:-0}
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
. bench/cluster-lib.sh lgbenchhop
ulimit -n 20000
debug=()
node() { # role http-port
  [[ ${DEBUG:-} == 1 ]] && debug=(-debug "127.0.0.1:$(($2 + 2000))")
  bin/lordgame -role "$1" -http "127.0.0.1:$2" -metrics-addr "127.0.0.1:$(($2 + 1000))" -tcp off "${debug[@]}" -db "$DB" \
    -nats "$NATS" -nats-prefix "$PREFIX" -data "$LOGS/data-$2" -log-format json -log-level warn >"$LOGS/$1-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $1 on :$2 did not start"; cat "$LOGS/$1-$2.log"; exit 1
}
natspid=$(pgrep -x nats-server | head -1 || true)
mkdir -p bench/out
run() { # name port node-pids...
  local name=$1 port=$2; shift 2
  sleep 3 # the gateway hears the game node's heartbeat
  local c0 c1 p each=() out="bench/out/hop-$name-$CONNS-rate$RATE.json"
  for p in "$@" $natspid; do each+=("$(cpu "$p")"); done
  c0=$(cpu "$@" $natspid)
  bin/lordbench -scenario rpc -route game.echo -target "ws://127.0.0.1:$port/ws" -conns "$CONNS" -rate "$RATE" -duration "$DURATION" -json >"$out"
  c1=$(cpu "$@" $natspid)
  local i=0
  for p in "$@" $natspid; do
    printf '  pid %s (%s): %s CPU-s over the run\n' "$p" "$([[ $p == "$natspid" ]] && echo nats-server || ps -o args= -p "$p" | grep -o -- '-role [^ ]*')" \
      "$(awk -v a="$(cpu "$p")" -v b="${each[$i]}" 'BEGIN { printf "%.1f", a - b }')"
    i=$((i + 1))
  done
  python3 - "$out" "$name" "$c0" "$c1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); name = sys.argv[2]; cpu = float(sys.argv[4]) - float(sys.argv[3])
print(f"{name}: {r['rps']:.0f} req/s, p50 {r['p50_ms']*1000:.0f} µs, p99 {r['p99_ms']*1000:.0f} µs, errors {r['errors']}, "
      f"nodes + nats-server {cpu:.1f} CPU-s over the run (ramp included), {cpu / max(r['requests'], 1) * 1e6:.1f} CPU-µs per request")
PY
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
node gateway,game 18071
run local 18071 "${pids[0]}"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()
node gateway 18072; node game 18073
run remote 18072 "${pids[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
