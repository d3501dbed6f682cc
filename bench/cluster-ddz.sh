#!/usr/bin/env bash
# Dou Dizhu over a cluster on this machine: 2 gateways, 2 game nodes and a
# match node as separate processes on the machine's NATS and PostgreSQL,
# then lordbench plays through both gateways. Usage:
#   bash bench/cluster-ddz.sh [lordbench flags...]
# (default: -players 3000 -think 1s -duration 120s). Needs NATS with
# JetStream on 127.0.0.1:4222 and PostgreSQL on 127.0.0.1:5432; it uses a
# database of its own (lgbench) and a NATS prefix of its own, and stops
# every node it started when it ends.
#
# At the end it prints the CPU seconds (user + system, from /proc) of every
# node, of nats-server, of the PostgreSQL backends of the bench database and
# of lordbench, and the server-side CPU per action. DEBUG=1 also serves
# net/http/pprof on each node at its HTTP port + 2000 (-debug).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
. bench/cluster-lib.sh lgbench
pgpids() { psql "$PG/postgres" -Atc "SELECT pid FROM pg_stat_activity WHERE datname = 'lgbench'"; }
debug=()
node() { # role http-port
  [[ ${DEBUG:-} == 1 ]] && debug=(-debug "127.0.0.1:$(($2 + 2000))")
  LORDGAME_AUTH_SIGNUPS_PER_IP=100000 bin/lordgame -role "$1" -http "127.0.0.1:$2" -metrics-addr "127.0.0.1:$(($2 + 1000))" -tcp off -db "$DB" \
    -nats "$NATS" -nats-prefix "$PREFIX" -data "$LOGS/data-$2" -log-format json "${debug[@]}" >"$LOGS/$1-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $1 on :$2 did not start"; cat "$LOGS/$1-$2.log"; exit 1
}
node gateway 18081; node gateway 18082; node game 18083; node game 18084; node match 18085
natspid=$(pgrep -x nats-server | head -1 || true)
nats0=$(cpu $natspid); nodes0=$(cpu "${pids[@]}"); pg0=$(cpu $(pgpids))
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bin/lordbench -scenario ddz -target ws://127.0.0.1:18081/ws,ws://127.0.0.1:18082/ws -metrics http://127.0.0.1:19081/metrics,http://127.0.0.1:19082/metrics \
  ${@:--players 3000 -think 1s -duration 120s} >"$LOGS/lordbench.out" &
bench=$!
benchcpu=0
# Backends can come and go with the pools: their CPU is read while they live.
while kill -0 $bench 2>/dev/null; do benchcpu=$(cpu $bench); pgend=$(cpu $(pgpids)); sleep 1; done
wait $bench
cat "$LOGS/lordbench.out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in 18083 18084; do
  echo "game node :$p: $(curl -s "http://127.0.0.1:$((p + 1000))/metrics" | grep -E '^process_cpu_seconds_total|^process_resident_memory_bytes' | tr '\n' ' ')"
done
actions=$(grep -o '"actions":[0-9]*' "$LOGS/lordbench.out" | tail -1 | cut -d: -f2 || true)
for i in 0 1 2 3 4; do printf 'node %s: %s CPU-s\n' "$i" "$(cpu ${pids[$i]})"; done
nodes=$(awk -v a="$(cpu "${pids[@]}")" -v b="$nodes0" 'BEGIN { printf "%.1f", a - b }')
nats=$(awk -v a="$(cpu $natspid)" -v b="$nats0" 'BEGIN { printf "%.1f", a - b }')
pg=$(awk -v a="${pgend:-0}" -v b="$pg0" 'BEGIN { printf "%.1f", a - b }')
echo "CPU over the run: nodes $nodes s, nats-server $nats s (shared with other users of it), PostgreSQL lgbench backends $pg s, lordbench $benchcpu s"
if [[ -n $actions ]]; then
  awk -v n="$nodes" -v s="$nats" -v p="$pg" -v a="$actions" 'BEGIN { printf "server CPU per action: %.3f ms (nodes %.3f, nats-server %.3f, PostgreSQL %.3f) over %d actions\n", (n + s + p) * 1000 / a, n * 1000 / a, s * 1000 / a, p * 1000 / a, a }'
fi
