#!/usr/bin/env bash
# Refresh rotation on PostgreSQL at scale: rotations/s and p99 on a fresh schema, then on the
# same schema after G live grants have seen R earlier rotations (simulated in SQL), with the
# table's size and HOT share along the way (bench/README.md, issue 16 "Measure").
#
#   bench/refresh_scale.sh [grants] [rotations] [sim_budget_s] [duration] [samples] [connections]
#   defaults:              2000000  100000000   1800           10s        3         64
#
# 1. Fresh schema (bench/setup.sh), one real sign-in mints samples × 2 runs × 2·connections
#    refresh seeds (independent grants); `samples` wrk runs of bench/refresh.lua on the fresh
#    table (seeds of runs 1..samples).
# 2. G families inserted with generate_series (ids "sim" + 10 digits, so the simulation never
#    touches a real grant), then rotations simulated as in-place UPDATEs of those rows
#    (generation + 1, a new SHA-256 current_hash, rotated_at), 100,000 rows per transaction,
#    R / G passes over all of them, or fewer if sim_budget_s runs out (the run says how many).
#    The size is recorded after every pass. The test server runs with autovacuum off, so a
#    background loop does what autovacuum's defaults would: a cost-limited VACUUM of the table
#    (vacuum_cost_delay 2 ms, cost_limit 200) whenever 20% of its rows are dead, checked every
#    60 s (autovacuum_naptime).
# 3. The same wrk runs on top (seeds of runs samples+1..2·samples, real grants among the
#    simulated ones), then the size again.
# Needs wrk, python3, psql; PostgreSQL on 127.0.0.1:5432 (trust, db test).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=postgres
G=${1:-2000000}; R=${2:-100000000}; BUDGET=${3:-1800}; DUR=${4:-10s}; SAMPLES=${5:-3}; CONN=${6:-64}
BATCH=100000
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
# shellcheck source=bench/setup.sh
source bench/setup.sh
LOG=bench/last-refresh-scale.md
$BIN serve & PID=$!
VAC=
trap 'kill $PID $VAC 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE"; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && break; sleep 0.1; done
SEEDS=$((CONN * 2))
python3 bench/user_token.py "$GERBANG_ISSUER" bench-rp "$RP" $NIP "$PW" $((SEEDS * SAMPLES * 2)) > "$WORK/g.txt"
# VACUUM cannot run in the implicit transaction of a multi-statement -c, hence PGOPTIONS.
vacuum() { PGOPTIONS="-c search_path=$SCHEMA ${2:-}" psql -q -h 127.0.0.1 -U postgres -d test -c "VACUUM $1 refresh_families"; }
sql() { psql -At -F' ' -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 -c "SET search_path = $SCHEMA; $1" | tail -1; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
# heap, each index, total (MB), live rows
size() {
  read -r total heap pk usr sid exp n <<<"$(sql "SELECT pg_total_relation_size('refresh_families'),
    pg_relation_size('refresh_families'), pg_relation_size('refresh_families_pkey'),
    pg_relation_size('refresh_families_user'), pg_relation_size('refresh_families_sid'),
    pg_relation_size('refresh_families_expires'), (SELECT count(*) FROM refresh_families)")"
  echo "| $1 | $n | $(mb "$total") | $(mb "$heap") | $(mb "$pk") | $(mb "$usr") | $(mb "$sid") | $(mb "$exp") |"
}
stats() { sleep 1; sql "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'refresh_families' AND schemaname = current_schema()"; }
wrk_run() { # label, run number → one table row
  local out rps p50 p99 errs u0 h0 u1 h1
  read -r u0 h0 <<<"$(stats)"
  out=$(BENCH_RUN=$2 BENCH_PER_RUN=$SEEDS BENCH_BASIC=$(printf 'bench-rp:%s' "$RP" | base64 -w0) \
    BENCH_REFRESH=$(sed -n 2p "$WORK/g.txt") BENCH_THREADS=2 \
    wrk -t2 -c"$CONN" -d"$DUR" --latency -s bench/refresh.lua "$GERBANG_ISSUER/token")
  read -r u1 h1 <<<"$(stats)"
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {n+=1} END {print n+0}' <<<"$out")
  echo "| $1 | $2 | $(date -u +%H:%M:%S) | $(cut -d' ' -f1 /proc/loadavg) | $rps | $p50 | $p99 | $errs | $((u1 - u0)) ($((h1 - h0))) |"
}
WRK_HEAD="| table | run | end (UTC) | load 1 min | rotations/s | p50 | p99 | errors | updates (HOT) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
SIZE_HEAD="| when | rows | total MB | heap | pkey | user idx | sid idx | expires idx |
| --- | --- | --- | --- | --- | --- | --- | --- |"
{
echo "## $(date -u '+%F %H:%M') UTC — bench/refresh_scale.sh $G $R $BUDGET $DUR $SAMPLES $CONN"
echo
echo "$WRK_HEAD"
for i in $(seq "$SAMPLES"); do wrk_run fresh "$i"; done
echo
t0=$(date +%s)
NOW=$(date +%s)
# Realistic widths: uuid user ids (one person has ~2.5 grants), sha256 hashes, 32-char sids.
sql "INSERT INTO refresh_families (family_id, current_hash, generation, user_id, client_id,
  scope, sid, auth_time, amr, acr, created_at, rotated_at, expires_at)
  SELECT 'sim' || lpad(CAST(n AS text), 10, '0'), encode(sha256(CAST(n AS text)::bytea), 'hex'), 0,
    CAST(CAST(md5(CAST(n * 2 / 5 AS text)) AS uuid) AS text),
    'svc' || (n % 47), 'openid profile email', md5('s' || n), $NOW, 'pwd otp', 'urn:gerbang:acr:mfa',
    $NOW, $NOW, $NOW + 30 * 86400
  FROM generate_series(1, $G) n" >/dev/null
vacuum ANALYZE
echo "Inserted $G families in $(( $(date +%s) - t0 )) s."
echo
echo "$SIZE_HEAD"
size "after insert, 0 rotations"
# What autovacuum would do with its defaults (it is off on this server).
( while sleep 60; do
    dead=$(sql "SELECT n_dead_tup > 50 + 0.2 * greatest(n_live_tup, 1) FROM pg_stat_user_tables WHERE relname = 'refresh_families' AND schemaname = current_schema()")
    [ "$dead" = t ] && vacuum "" "-c vacuum_cost_delay=2ms -c vacuum_cost_limit=200" && echo "vacuum $(date -u +%T)" >> "$WORK/vacuum.log"
  done ) & VAC=$!
read -r u0 h0 <<<"$(stats)"
PASSES=$(( (R + G - 1) / G ))
done_rot=0; p=0; ts=$(date +%s)
while [ "$p" -lt "$PASSES" ] && [ $(( $(date +%s) - ts )) -lt "$BUDGET" ]; do
  p=$((p + 1)); tp=$(date +%s)
  for ((lo = 1; lo <= G; lo += BATCH)); do
    hi=$((lo + BATCH))
    printf "UPDATE refresh_families SET generation = generation + 1,
      current_hash = encode(sha256(CAST(current_hash || '%d' AS bytea)), 'hex'), rotated_at = rotated_at + 1
      WHERE family_id >= 'sim%010d' AND family_id < 'sim%010d';\n" "$p" "$lo" "$hi"
  done | psql -q -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 \
    -c "SET search_path = $SCHEMA" -f - >/dev/null
  done_rot=$((done_rot + G))
  size "pass $p: $((done_rot / 1000000)) M rotations ($(( $(date +%s) - tp )) s, load $(cut -d' ' -f1 /proc/loadavg))"
done
kill $VAC 2>/dev/null; wait $VAC 2>/dev/null || true; VAC=
echo
echo "Simulated $done_rot rotations ($p of $PASSES passes) in $(( $(date +%s) - ts )) s;" \
  "background VACUUMs: $(wc -l < "$WORK/vacuum.log" 2>/dev/null || echo 0)."
read -r u h <<<"$(stats)"
echo "HOT share of the simulation's updates: $((h - h0)) of $((u - u0))."
echo
echo "$WRK_HEAD"
for i in $(seq "$SAMPLES"); do wrk_run "after $((done_rot / 1000000)) M" $((SAMPLES + i)); done
echo
echo "$SIZE_HEAD"
size "after the wrk runs"
} | tee "$LOG"
