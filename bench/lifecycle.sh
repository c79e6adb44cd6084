#!/usr/bin/env bash
# SIASN lifecycle at national size on PostgreSQL: a 5.2 M-row import with every status
# `aktif`, then the same people with 1% leaving (pensiun / diberhentikan / meninggal dunia /
# cltn). Before the second run a fifth of the people get a live session with a service that
# has a back-channel URI, so the disables also revoke refresh tokens and queue logouts.
#   bench/lifecycle.sh            (release build, PostgreSQL on 127.0.0.1:5432, db `test`)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/gerbang}
N=${N:-5200000}
DIR=${DIR:-/tmp/gerbang-lifecycle}
SCHEMA=bench_lifecycle
mkdir -p "$DIR"
PSQL="psql -q -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1"
$PSQL -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA"
export GERBANG_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3D$SCHEMA"
export GERBANG_KEYS_DIR="$DIR/keys"
[ -f "$DIR/siasn-0.csv" ] || python3 bench/gen_siasn.py "$N" --status > "$DIR/siasn-0.csv"
[ -f "$DIR/siasn-1.csv" ] || python3 bench/gen_siasn.py "$N" --leaving 0.01 > "$DIR/siasn-1.csv"

echo "== first import (all aktif)"
/usr/bin/time -f "%e s, %M KB max RSS" "$BIN" user import "$DIR/siasn-0.csv" 2>&1 | grep -v "^line "

$BIN client add --id bench-svc --name Bench --redirect-uri https://svc.example.go.id/cb \
  --backchannel-logout-uri https://svc.example.go.id/bc > /dev/null
$PSQL -c "SET search_path = $SCHEMA;
  INSERT INTO session_clients (sid, client_id, user_id, expires_at)
    SELECT md5(id), 'bench-svc', id, 4102444800 FROM users WHERE random() < 0.2;
  INSERT INTO refresh_tokens (hash, family_id, user_id, client_id, scope, sid, auth_time, amr, acr, created_at, expires_at)
    SELECT md5(id || 'r'), md5(id), user_id, 'bench-svc', 'openid', sid, 0, 'pwd otp', 'mfa', 0, 4102444800
    FROM (SELECT md5(sid) AS id, user_id, sid FROM session_clients) s;
  ANALYZE users; ANALYZE session_clients; ANALYZE refresh_tokens"

echo "== same people, 1% leaving"
/usr/bin/time -f "%e s, %M KB max RSS" "$BIN" user import "$DIR/siasn-1.csv" 2>&1 | grep -v "^line "
$PSQL -c "SET search_path = $SCHEMA;
  SELECT status, COUNT(*) FROM users GROUP BY status;
  SELECT COUNT(*) AS logouts_queued FROM logout_outbox;
  SELECT COUNT(*) AS refresh_revoked FROM refresh_tokens WHERE revoked_at IS NOT NULL;
  SELECT kind, COUNT(*) FROM audit_events GROUP BY kind"

echo "== the same file again (nothing to do)"
/usr/bin/time -f "%e s, %M KB max RSS" "$BIN" user import "$DIR/siasn-1.csv" 2>&1 | grep -v "^line "
