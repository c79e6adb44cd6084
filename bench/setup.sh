# Shared by bench/run.sh and bench/compare.sh (sourced; BACKEND set by the caller):
# builds Gerbang, gives it a fresh database (SQLite file or PostgreSQL schema), a user and two
# clients, and sets BIN, WORK, NIP, PW, CC (bench-cc's secret), RP (bench-rp's secret).
cargo build --release --quiet
BIN=$PWD/target/release/gerbang
WORK=$(mktemp -d)
export GERBANG_LISTEN=127.0.0.1:18080 GERBANG_ISSUER=http://127.0.0.1:18080
export GERBANG_KEYS_DIR=$WORK/keys GERBANG_LOG=warn GERBANG_ACCESS_TOKEN_TTL_SECS=3600
# One load generator on one IP: the per-IP limiter would measure itself, not Gerbang.
export GERBANG_RATE_LIMIT__ENABLED=false
if [ "$BACKEND" = postgres ]; then
  SCHEMA=bench_$(date +%s)
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE SCHEMA $SCHEMA"
  export GERBANG_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D$SCHEMA"
else
  export GERBANG_DATABASE_URL=sqlite://$WORK/gerbang.db
fi
NIP=198507122010011002 PW='Gerbang#Aman2026'
echo "$PW" | $BIN user add --nip $NIP --name "Bench User" --email bench@bkn.go.id --password-stdin >/dev/null
CC=$($BIN client add --id bench-cc --name Bench --redirect-uri http://127.0.0.1:9/cb \
      --grant-type client_credentials | sed -n 's/^client_secret: //p')
RP=$($BIN client add --id bench-rp --name BenchRP --redirect-uri http://127.0.0.1:9/cb --first-party \
      --grant-type authorization_code --grant-type refresh_token | sed -n 's/^client_secret: //p')
