#!/usr/bin/env bash
# Dou Dizhu over a cluster on this machine: 2 gateways, 2 game nodes and a
# match node as separate processes on the machine's NATS and PostgreSQL,
# then lordbench plays through both gateways. Usage:
#   bash bench/cluster-ddz.sh [lordbench flags...]
# (default: -players 3000 -think 1s -duration 120s). Needs NATS with
# JetStream on 127.0.0.1:4222 and PostgreSQL on 127.0.0.1:5432; it uses a
# database of its own (lgbench) and a NATS prefix of its own, and stops
# every node it started when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
NATS=${NATS:-nats://127.0.0.1:4222}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS lgbench' -qc 'CREATE DATABASE lgbench' >/dev/null
DB="$PG/lgbench?sslmode=disable"
PREFIX=lgbench$$
LOGS=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo "node logs in $LOGS"; }
trap cleanup EXIT
node() { # role http-port
  LORDGAME_AUTH_SIGNUPS_PER_IP=100000 bin/lordgame -role "$1" -http "127.0.0.1:$2" -metrics-addr "127.0.0.1:$(($2 + 1000))" -tcp off -db "$DB" \
    -nats "$NATS" -nats-prefix "$PREFIX" -data "$LOGS/data-$2" -log-format json >"$LOGS/$1-$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/readyz" >/dev/null && return; sleep 0.1; done
  echo "node $1 on :$2 did not start"; cat "$LOGS/$1-$2.log"; exit 1
}
node gateway 18081; node gateway 18082; node game 18083; node game 18084; node match 18085
bin/lordbench -scenario ddz -target ws://127.0.0.1:18081/ws,ws://127.0.0.1:18082/ws -metrics http://127.0.0.1:19081/metrics,http://127.0.0.1:19082/metrics \
  ${@:--players 3000 -think 1s -duration 120s}
for p in 18083 18084; do
  echo "game node :$p: $(curl -s "http://127.0.0.1:$((p + 1000))/metrics" | grep -E '^process_cpu_seconds_total|^process_resident_memory_bytes' | tr '\n' ' ')"
done
