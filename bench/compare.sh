#!/usr/bin/env bash
# Gerbang against the reference (panva's oidc-provider, in-memory adapter, opaque tokens),
# same wrk command, connections and duration, one after the other on this machine.
# Writes bench/results.md. Usage: bench/compare.sh [sqlite|postgres] [duration] [connections] [runs]
# Needs: wrk, node + npm (installs oidc-provider into bench/reference/node_modules, ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}; DUR=${2:-10s}; CONN=${3:-64}; RUNS=${4:-3}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
(cd bench/reference && npm install --no-audit --no-fund --silent)
# shellcheck source=bench/setup.sh
source bench/setup.sh
G=18080 R=18090
$BIN serve & GPID=$!
SEEDS=$((CONN * 2))  # refresh tokens per run; every run spends its own
export BENCH_PER_RUN=$SEEDS
node bench/reference/provider.mjs $R "$CC" "$RP" $((SEEDS * RUNS)) > "$WORK/ref.json" 2>/dev/null & RPID=$!
trap 'kill $GPID $RPID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && [ -s "$WORK/ref.json" ] && break; sleep 0.1; done
# One sign-in (MFA enrolment included); its SSO session then gives the refresh seeds.
python3 bench/user_token.py "$GERBANG_ISSUER" bench-rp "$RP" $NIP "$PW" $((SEEDS * RUNS)) > "$WORK/g.txt"
G_ACCESS=$(sed -n 1p "$WORK/g.txt")
R_ACCESS=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["access"])' "$WORK/ref.json")

run() { # who, scenario, pid, then wrk arguments → one table row (median of RUNS by req/s)
  local who=$1 name=$2 pid=$3; shift 3
  local rows=()
  for i in $(seq "$RUNS"); do
    export BENCH_RUN=$i  # refresh.lua takes this run's own seed tokens
    local t0 c0 out
    c0=$(awk '{print $14+$15}' /proc/$pid/stat); t0=$(date +%s%N)
    out=$(wrk -t2 -c"$CONN" -d"$DUR" --latency "$@")
    local cpu; cpu=$(awk -v c0="$c0" -v t0="$t0" -v t1="$(date +%s%N)" -v hz="$(getconf CLK_TCK)" \
      '{printf "%.0f", ($14+$15-c0)/hz / ((t1-t0)/1e9) * 100}' /proc/$pid/stat)
    local rps p50 p99 errs
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {n+=1} END {print n+0}' <<<"$out")
    rows+=("$rps|$p50|$p99|$errs|$cpu%")
  done
  local med; med=$(printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1n | sed -n "$(( (RUNS + 1) / 2 ))p")
  printf '| %s | %s | %s | %s |\n' "$name" "$who" "$(tr '|' '\n' <<<"$med" | paste -sd'|' | sed 's/|/ | /g')" \
    "$(printf '%s ' "${rows[@]%%|*}")"
}
refresh_seeds() { # issuer → N independent refresh tokens
  if [ "$1" = gerbang ]; then
    sed -n 2p "$WORK/g.txt"
  else
    python3 -c 'import json,sys; print(",".join(json.loads(open(sys.argv[1]).readline())["refresh"]))' "$WORK/ref.json"
  fi
}
{
echo "| scenario | server | req/s (median of $RUNS) | p50 | p99 | errors | CPU of server | req/s of each run |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for who in gerbang oidc-provider; do
  if [ $who = gerbang ]; then base=$GERBANG_ISSUER pid=$GPID acc=$G_ACCESS disc=/.well-known/openid-configuration jwks=/jwks intro=/introspect ui=/userinfo
  else base=http://127.0.0.1:$R pid=$RPID acc=$R_ACCESS disc=/.well-known/openid-configuration jwks=/jwks intro=/token/introspection ui=/me; fi
  run $who discovery $pid "$base$disc"
  run $who jwks $pid "$base$jwks"
  BENCH_BASIC=$(printf 'bench-cc:%s' "$CC" | base64 -w0) BENCH_BODY="grant_type=client_credentials" \
    run $who client_credentials $pid -s bench/post.lua "$base/token"
  run $who userinfo $pid -H "Authorization: Bearer $acc" "$base$ui"
  BENCH_BASIC=$(printf 'bench-rp:%s' "$RP" | base64 -w0) BENCH_BODY="token=$acc" \
    run $who introspection $pid -s bench/post.lua "$base$intro"
  BENCH_BASIC=$(printf 'bench-rp:%s' "$RP" | base64 -w0) BENCH_REFRESH=$(refresh_seeds $who) BENCH_THREADS=2 \
    run $who refresh $pid -s bench/refresh.lua "$base/token"
done
} | tee "$WORK/table.md"
if [ "$BACKEND" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE"; fi
cp "$WORK/table.md" "bench/last-compare-$BACKEND.md"
