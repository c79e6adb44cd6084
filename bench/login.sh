#!/usr/bin/env bash
# Login saturation (issue 9): whole sign-ins (authorize → login page → POST NIP, password,
# TOTP → redirect with code) as fast as CONCURRENCY loops go, while fixed-rate probes time
# JWKS, client_credentials and userinfo. Usage: bench/login.sh [sqlite|postgres] [secs] [concurrency]
# Needs: python3 (one sign-in for the probe's access token); PostgreSQL for `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}; SECS=${2:-20}; CONC=${3:-8}
# shellcheck source=bench/setup.sh
source bench/setup.sh
cargo build --release --quiet --example login_load
LOAD=$PWD/target/release/examples/login_load
# Each person signs in at most once per run (a TOTP step is single-use): enough for 150/s.
USERS=$((SECS * 150))
$LOAD seed $USERS >/dev/null
$BIN serve & PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && break; sleep 0.1; done
export BENCH_CLIENT=bench-rp BENCH_CC_BASIC BENCH_ACCESS
BENCH_CC_BASIC=$(printf 'bench-cc:%s' "$CC" | base64 -w0)
BENCH_ACCESS=$(python3 bench/user_token.py "$GERBANG_ISSUER" bench-rp "$RP" $NIP "$PW")
c0=$(awk '{print $14+$15}' /proc/$PID/stat); t0=$(date +%s%N)
$LOAD run $USERS "$SECS" "$CONC"
awk -v c0="$c0" -v t0="$t0" -v t1="$(date +%s%N)" -v hz="$(getconf CLK_TCK)" \
  '{printf "server CPU: %.0f%%\n", ($14+$15-c0)/hz / ((t1-t0)/1e9) * 100}' /proc/$PID/stat
if [ "$BACKEND" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE"; fi
