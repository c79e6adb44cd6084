#!/usr/bin/env bash
# Load scenarios on loopback with wrk: discovery, JWKS, client_credentials, userinfo,
# introspection. Usage: bench/run.sh [sqlite|postgres] [duration] [connections]
# Needs: wrk (apt-get install wrk), python3; PostgreSQL on 127.0.0.1:5432 for `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}; DUR=${2:-10s}; CONN=${3:-64}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
# shellcheck source=bench/setup.sh
source bench/setup.sh
$BIN serve & PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && break; sleep 0.1; done
ACCESS=$(python3 bench/user_token.py "$GERBANG_ISSUER" bench-rp "$RP" $NIP "$PW")

run() { # name, then wrk arguments
  local name=$1; shift
  local out; out=$(wrk -t2 -c"$CONN" -d"$DUR" --latency "$@")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$BACKEND" "$name" "$rps" "$p50" "$p99" "${errs:-0}"
}
echo "| backend | scenario | req/s | p50 | p99 | errors |"
echo "| --- | --- | --- | --- | --- | --- |"
run discovery "$GERBANG_ISSUER/.well-known/openid-configuration"
run jwks "$GERBANG_ISSUER/jwks"
BENCH_BASIC=$(printf 'bench-cc:%s' "$CC" | base64 -w0) BENCH_BODY="grant_type=client_credentials" \
  run client_credentials -s bench/post.lua "$GERBANG_ISSUER/token"
run userinfo -H "Authorization: Bearer $ACCESS" "$GERBANG_ISSUER/userinfo"
BENCH_BASIC=$(printf 'bench-rp:%s' "$RP" | base64 -w0) BENCH_BODY="token=$ACCESS" \
  run introspect -s bench/post.lua "$GERBANG_ISSUER/introspect"
if [ "$BACKEND" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE"
fi
