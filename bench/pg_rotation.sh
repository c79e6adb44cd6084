#!/usr/bin/env bash
# What PostgreSQL alone can do with a refresh rotation's statements on this machine, no
# Gerbang and no HTTP: the ceiling the refresh benchmark runs under (bench/results.md).
# Usage: bench/pg_rotation.sh [duration_s] [clients]. Needs pgbench (postgresql-client).
# "checked": the joined read, then the CTE that consumes and inserts (two transactions);
# "one statement": the CTE only (Gerbang's common path since the fourth run).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}; CLIENTS=${2:-16}
cargo build --release --quiet
SCHEMA=pgbench_$(date +%s)
psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE SCHEMA $SCHEMA"
trap 'psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA $SCHEMA CASCADE" 2>/dev/null' EXIT
export GERBANG_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D$SCHEMA"
echo 'Gerbang#Aman2026' | target/release/gerbang user add --nip 198507122010011002 --name Bench \
  --email bench@bkn.go.id --password-stdin >/dev/null
target/release/gerbang client add --id rp --name RP --redirect-uri http://127.0.0.1:9/cb \
  --grant-type authorization_code --grant-type refresh_token >/dev/null
USER_ID=$(psql -At -h 127.0.0.1 -U postgres -d test -c "SELECT id FROM $SCHEMA.users LIMIT 1")
# pgbench reads ":name" as a variable, hence CAST(...) and no colons in literals.
sed "s/@USER@/$USER_ID/" bench/pgbench/rotation.sql > "/tmp/$SCHEMA.sql"
grep -v '^SELECT' "/tmp/$SCHEMA.sql" > "/tmp/$SCHEMA-one.sql"
for f in "$SCHEMA" "$SCHEMA-one"; do
  label=checked; [ "$f" = "$SCHEMA-one" ] && label="one statement"
  tps=$(PGOPTIONS="-c search_path=$SCHEMA" pgbench -h 127.0.0.1 -U postgres -n -M prepared \
    -c "$CLIENTS" -j 2 -T "$DUR" -f "/tmp/$f.sql" test 2>&1 | awk '/^tps/ {printf "%.0f", $3}')
  echo "$label: $tps rotations/s"
  rm -f "/tmp/$f.sql"
done
