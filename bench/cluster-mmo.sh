#!/usr/bin/env bash
# The MMO world over a cluster on this machine: 2 gateways and 2 game nodes
# as separate processes on the machine's NATS and PostgreSQL (the game
# nodes elect the one that runs the world; the other stands by), then
# lordbench -scenario mmo moves native players through both gateways on
# the Zinx demo's map. Usage:
#   bash bench/cluster-mmo.sh [N]         (default 600 players)
# Environment: TICK (-world-tick, default 25ms), DURATION (default 30s).
# Needs NATS with JetStream on 127.0.0.1:4222 and PostgreSQL on
# 127.0.0.1:5432; it uses a database of its own (lgbenchmmo) and a NATS
# prefix of its own, and stops every node it started when it ends. At the
# end it prints the CPU seconds of every node, of nats-server and of
# lordbench over the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
N=${1:-600}; TICK=${TICK:-25ms}; DURATION=${DURATION:-30s}
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
. bench/cluster-lib.sh lgbenchmmo
ulimit -n 20000
node() { # role http-port
  LORDGAME_AUTH_SIGNUPS_PER_IP=1000000 bin/lordgame -role "$1" -http "127.0.0.1:$2" -metrics-addr "127.0.0.1:$(($2 + 1000))" -tcp off -db "$DB" \
    -nats "$NATS" -nats-prefix "$PREFIX" -data "$LOGS/data-$2" -log-format json -log-level warn \
    -world-spawn map -world-tick "$TICK" >"$LOGS/$1-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $1 on :$2 did not start"; cat "$LOGS/$1-$2.log"; exit 1
}
node gateway 18091; node gateway 18092; node game 18093; node game 18094
# The world's node: the game node whose /metrics counts world ticks.
world=""
for _ in $(seq 1 100); do
  for p in 18093 18094; do
    if curl -s "http://127.0.0.1:$((p + 1000))/metrics" | grep -q '^lordgame_world_ticks_total [1-9]'; then world=$p; break 2; fi
  done
  sleep 0.1
done
[[ -n $world ]] || { echo "no game node runs the world"; exit 1; }
natspid=$(pgrep -x nats-server | head -1 || true)
nats0=$(cpu $natspid); nodes0=$(cpu "${pids[@]}")
echo "world on :$world; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
OUT="bench/out/cluster-mmo-$N-tick$TICK.json"
mkdir -p bench/out
bin/lordbench -scenario mmo -target ws://127.0.0.1:18091/ws,ws://127.0.0.1:18092/ws \
  -metrics "http://127.0.0.1:$((world + 1000))/metrics,http://127.0.0.1:$((world + 1000))/metrics" \
  -players "$N" -interval 100ms -step 2 -duration "$DURATION" -dialers 32 -json >"$OUT" &
bench=$!
benchcpu=0
while kill -0 $bench 2>/dev/null; do benchcpu=$(cpu $bench); sleep 1; done
wait $bench
python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['players_ready']}/{r['players']} players, in view {r['in_view']:.1f}, {r['moves_per_s']:.0f} moves/s sent, "
      f"{r['handled_per_s']:.0f} handled, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, "
      f"delivered {r['delivered_ratio']:.5f} ({r['delivered']}/{r['expected']}), errors {r['errors']}, "
      f"world node {r.get('server_cpu_cores', 0):.2f} cores, client {r['client_cpu_cores']:.2f} cores, "
      f"send late p99 {r.get('send_late_p99_ms', 0):.1f} ms, overruns {r['server_tick_overruns']:.0f}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 0 1 2 3; do printf 'node %s: %s CPU-s\n' "$i" "$(cpu ${pids[$i]})"; done
nodes=$(awk -v a="$(cpu "${pids[@]}")" -v b="$nodes0" 'BEGIN { printf "%.1f", a - b }')
nats=$(awk -v a="$(cpu $natspid)" -v b="$nats0" 'BEGIN { printf "%.1f", a - b }')
echo "CPU from the start of the run: nodes $nodes s, nats-server $nats s (shared with other users of it), lordbench $benchcpu s"
