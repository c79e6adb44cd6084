#!/usr/bin/env bash
# Two builds of Gerbang side by side, alternated run by run, so drift of the machine (clock
# speed, neighbours) falls on both alike: the way to say "unchanged within noise" after a
# refactor. Usage: bench/ab.sh BIN_A BIN_B [rounds] [duration] [connections]
# Each binary gets its own SQLite database, user, clients and access token (bench/setup.sh's
# recipe); the scenarios are the read paths of bench/compare.sh plus client_credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1 B=$2 ROUNDS=${3:-4} DUR=${4:-10s} CONN=${5:-64}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk" >&2; exit 2; }
NIP=198507122010011002 PW='Gerbang#Aman2026'
declare -A PID BASE ACC CC RP
start() { # label binary port
  local w; w=$(mktemp -d)
  export GERBANG_LISTEN=127.0.0.1:$3 GERBANG_ISSUER=http://127.0.0.1:$3 GERBANG_KEYS_DIR=$w/keys
  export GERBANG_LOG=warn GERBANG_ACCESS_TOKEN_TTL_SECS=3600 GERBANG_RATE_LIMIT__ENABLED=false
  export GERBANG_DATABASE_URL=sqlite://$w/gerbang.db
  echo "$PW" | $2 user add --nip $NIP --name "Bench User" --email bench@bkn.go.id --password-stdin >/dev/null
  CC[$1]=$($2 client add --id bench-cc --name Bench --redirect-uri http://127.0.0.1:9/cb \
      --grant-type client_credentials | sed -n 's/^client_secret: //p')
  RP[$1]=$($2 client add --id bench-rp --name BenchRP --redirect-uri http://127.0.0.1:9/cb --first-party \
      --grant-type authorization_code --grant-type refresh_token | sed -n 's/^client_secret: //p')
  $2 serve & PID[$1]=$!
  BASE[$1]=http://127.0.0.1:$3
  for _ in $(seq 100); do curl -sf "${BASE[$1]}/healthz" >/dev/null && break; sleep 0.1; done
  ACC[$1]=$(python3 bench/user_token.py "${BASE[$1]}" bench-rp "${RP[$1]}" $NIP "$PW" | sed -n 1p)
}
start A "$A" 18081
start B "$B" 18082
trap 'kill ${PID[A]} ${PID[B]} 2>/dev/null' EXIT
rps() { wrk -t2 -c"$CONN" -d"$DUR" "$@" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
declare -A SUM N
for r in $(seq "$ROUNDS"); do
  for who in A B; do
    b=${BASE[$who]}
    for s in discovery userinfo introspection client_credentials; do
      case $s in
        discovery) v=$(rps "$b/.well-known/openid-configuration") ;;
        userinfo) v=$(rps -H "Authorization: Bearer ${ACC[$who]}" "$b/userinfo") ;;
        introspection) v=$(BENCH_BASIC=$(printf 'bench-rp:%s' "${RP[$who]}" | base64 -w0) \
            BENCH_BODY="token=${ACC[$who]}" rps -s bench/post.lua "$b/introspect") ;;
        client_credentials) v=$(BENCH_BASIC=$(printf 'bench-cc:%s' "${CC[$who]}" | base64 -w0) \
            BENCH_BODY="grant_type=client_credentials" rps -s bench/post.lua "$b/token") ;;
      esac
      echo "round $r $who $s $v"
      SUM[$who.$s]=$(( ${SUM[$who.$s]:-0} + v )); N[$who.$s]=$(( ${N[$who.$s]:-0} + 1 ))
    done
  done
done
echo "| scenario | A req/s (mean of $ROUNDS) | B req/s | B/A |"
echo "| --- | --- | --- | --- |"
for s in discovery userinfo introspection client_credentials; do
  a=$(( SUM[A.$s] / N[A.$s] )) b=$(( SUM[B.$s] / N[B.$s] ))
  echo "| $s | $a | $b | $(awk -v a=$a -v b=$b 'BEGIN {printf "%.2f", b/a}') |"
done
