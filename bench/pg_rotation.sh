#!/usr/bin/env bash
# What PostgreSQL alone can do with a refresh rotation's statements on this machine, no
# Gerbang and no HTTP: the ceiling the refresh benchmark runs under (bench/results.md).
# Usage: bench/pg_rotation.sh [duration_s] [clients]. Needs pgbench (postgresql-client).
# "checked": the joined read, then the rotation (two transactions); "one statement": the
# rotation only (Gerbang's common path). Both update one of 100,000 seeded families in place.
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
psql -q -h 127.0.0.1 -U postgres -d test -c "INSERT INTO $SCHEMA.refresh_families
  (family_id, current_hash, generation, user_id, client_id, scope, sid, auth_time, amr, acr,
   created_at, rotated_at, expires_at)
  SELECT md5(CAST(n AS text)), md5(CAST(n AS text)), 0, '$USER_ID', 'rp', 'openid profile email',
    md5(CAST(n AS text)), 1, 'pwd otp', 'urn-x', 1, 1, 2000000000
  FROM generate_series(1, 100000) n"
# pgbench reads ":name" as a variable, hence CAST(...) and no colons in literals.
cp bench/pgbench/rotation.sql "/tmp/$SCHEMA.sql"
grep -v '^SELECT' "/tmp/$SCHEMA.sql" > "/tmp/$SCHEMA-one.sql"
for f in "$SCHEMA" "$SCHEMA-one"; do
  label=checked; [ "$f" = "$SCHEMA-one" ] && label="one statement"
  tps=$(PGOPTIONS="-c search_path=$SCHEMA" pgbench -h 127.0.0.1 -U postgres -n -M prepared \
    -c "$CLIENTS" -j 2 -T "$DUR" -f "/tmp/$f.sql" test 2>&1 | awk '/^tps/ {printf "%.0f", $3}')
  echo "$label: $tps rotations/s"
  rm -f "/tmp/$f.sql"
done
