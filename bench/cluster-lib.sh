# Shared by the cluster benchmarks (sourced, not run): the machine's NATS
# and PostgreSQL, a fresh database named $1 and a NATS prefix of the run's
# own, a log folder, the node processes stopped at exit, and cpu().
# Usage: . bench/cluster-lib.sh DBNAME
NATS=${NATS:-nats://127.0.0.1:4222}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $1" -qc "CREATE DATABASE $1" >/dev/null
DB="$PG/$1?sslmode=disable"
PREFIX=$1$$
LOGS=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo "node logs in $LOGS"; }
trap cleanup EXIT
cpu() { # pid...: user + system CPU seconds of the processes
  local t=0 p f
  for p in "$@"; do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }                      # the fields after the command name
    set -- $f
    t=$((t + ${12} + ${13}))         # utime, stime (fields 14 and 15)
  done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}
