#!/usr/bin/env bash
# MMO world movement: lordbench -scenario mmo against one LordGame server
# on this machine (load generator on the same machine). Usage:
#   bash bench/mmo.sh demo   native|zinx N [N...]   the Zinx demo's map (X 85-410 in 10 cells,
#                                                    Z 75-400 in 20), uniform start
#   bash bench/mmo.sh density native|zinx N [N...]  constant density: a square map of 20-unit
#                                                    cells that grows with N, ~16 others in view
# Each N runs against a fresh server. Players move every 100 ms by up to
# ±2 per axis. Environment: TICK (server -world-tick, default 25ms),
# DURATION (default 30s), SPREAD=1 (lordbench -spread: walk to uniform
# random positions instead of the server's spawn over the whole map),
# PROFILE=1 (save a 20 s CPU profile of the server per run in bench/out/),
# ZONES=XxZ (server -world-zones, default one zone).
# Prints one JSON report per run (also in bench/out/) and, per run, the
# load average before it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
MODE=${1:?demo or density}; PROTO=${2:?native or zinx}; shift 2
TICK=${TICK:-25ms}; DURATION=${DURATION:-30s}
go build -o bin/ ./cmd/lordgame ./cmd/lordbench
mkdir -p bench/out
ulimit -n 20000
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
for N in "$@"; do
  DATA=$(mktemp -d)
  if [ "$MODE" = density ]; then
    SIDE=$(python3 -c "import math; print(max(3, math.ceil(math.sqrt($N / 1.89))))")
    MAP="0,$((SIDE * 20)),$SIDE,0,$((SIDE * 20)),$SIDE"
  else
    MAP="85,410,10,75,400,20"
  fi
  SPAWN=(-world-spawn map)
  EXTRA=()
  if [ "${SPREAD:-}" = 1 ]; then SPAWN=(); EXTRA=(-spread); fi
  if [ -n "${ZONES:-}" ]; then SPAWN+=(-world-zones "$ZONES"); fi
  bin/lordgame -http 127.0.0.1:18780 -metrics-addr 127.0.0.1:18781 -tcp off -data "$DATA" -log-level warn \
    -auth-signups-per-ip 1000000 -mmo-zinx 127.0.0.1:18782 -world-map "$MAP" "${SPAWN[@]}" -world-tick "$TICK" \
    -debug 127.0.0.1:18783 >"$DATA/lordgame.log" 2>&1 &
  pids=($!)
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18780/readyz >/dev/null && break; sleep 0.1; done
  if [ "$PROTO" = zinx ]; then TARGET=(-proto zinx -target tcp://127.0.0.1:18782 -world-map "$MAP" -world-tick "$TICK")
  else TARGET=(-target ws://127.0.0.1:18780/ws); fi
  OUT="bench/out/mmo-$MODE-$PROTO-$N-tick$TICK${ZONES:+-zones$ZONES}.json"
  echo "== $MODE $PROTO $N players, map $MAP, tick $TICK; loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  if [ "${PROFILE:-}" = 1 ]; then
    (sleep 25; curl -s "http://127.0.0.1:18783/debug/pprof/profile?seconds=20" >"bench/out/mmo-$MODE-$PROTO-$N.pprof") &
  fi
  bin/lordbench -scenario mmo "${TARGET[@]}" -metrics http://127.0.0.1:18781/metrics -players "$N" \
    -interval 100ms -step 2 -duration "$DURATION" -dialers 32 "${EXTRA[@]}" -json >"$OUT" || { cat "$DATA/lordgame.log" >&2; exit 1; }
  python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['proto']} {r['players_ready']}/{r['players']} players, in view {r['in_view']:.1f}, {r['moves_per_s']:.0f} moves/s sent, "
      f"{r['handled_per_s']:.0f} handled, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, "
      f"delivered {r['delivered_ratio']:.5f} ({r['delivered']}/{r['expected']}), errors {r['errors']}, "
      f"server {r.get('server_cpu_cores', 0):.2f} cores {r.get('server_rss_mb', 0):.0f} MiB, client {r['client_cpu_cores']:.2f} cores, "
      f"send late p99 {r.get('send_late_p99_ms', 0):.1f} ms, coalesced {r['server_coalesced']:.0f}, overruns {r['server_tick_overruns']:.0f}, refused {r['server_refused']:.0f}")
PY
  kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
  rm -rf "$DATA"
done
