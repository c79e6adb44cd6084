#!/usr/bin/env bash
# Refresh rotation on PostgreSQL from a fresh database: rotations/s and p99 with wrk (the same
# command as bench/run.sh, bench/refresh.lua), then what the grants occupy afterwards against
# the rotations done. Usage: bench/refresh_storage.sh [duration] [connections] [grants]
# Needs: wrk, python3, psql; PostgreSQL on 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=postgres; DUR=${1:-10s}; CONN=${2:-64}; GRANTS=${3:-$((CONN * 2))}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
# shellcheck source=bench/setup.sh
source bench/setup.sh
$BIN serve & PID=$!
trap 'kill $PID 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE"; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && break; sleep 0.1; done
python3 bench/user_token.py "$GERBANG_ISSUER" bench-rp "$RP" $NIP "$PW" "$GRANTS" > "$WORK/g.txt"
sql() { psql -At -F' ' -h 127.0.0.1 -U postgres -d test -c "SET search_path = $SCHEMA; $1" | tail -1; }
size="SELECT count(*), coalesce(sum(generation), 0), pg_total_relation_size('refresh_families'),
  pg_relation_size('refresh_families'), pg_indexes_size('refresh_families') FROM refresh_families"
read -r g0 r0 total0 heap0 idx0 <<<"$(sql "$size")"
out=$(BENCH_BASIC=$(printf 'bench-rp:%s' "$RP" | base64 -w0) BENCH_REFRESH=$(sed -n 2p "$WORK/g.txt") \
  BENCH_THREADS=2 wrk -t2 -c"$CONN" -d"$DUR" --latency -s bench/refresh.lua "$GERBANG_ISSUER/token")
rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {n+=1} END {print n+0}' <<<"$out")
sleep 1  # statistics reach pg_stat_user_tables at most a second after each transaction
read -r g1 r1 total1 heap1 idx1 <<<"$(sql "$size")"
read -r upd hot <<<"$(sql "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'refresh_families' AND schemaname = current_schema()")"
echo "| rotations/s | p50 | p99 | errors | grants | rotations stored (sum of generations) | table+indexes before → after (heap, indexes after) | updates (HOT) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
echo "| $rps | $p50 | $p99 | $errs | $g1 | $r0 → $r1 | $total0 → $total1 B ($heap1, $idx1) | $upd ($hot) |"
