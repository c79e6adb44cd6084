#!/usr/bin/env bash
# The janitor's delete rate against a backlog of expired audit events, and the latency of
# each /helpdesk/audit filter, on PostgreSQL with a large audit_events (bench/README.md).
#
#   bench/janitor_audit.sh [rows] [expired]      # defaults: 8000000 rows, 5000000 expired
#
# Rows are generated with generate_series in time order (as they accrue): `expired` of them
# 401-800 days old (past the 400-day default retention), the rest spread over the last 399
# days; 100,000 people, ~30% of events with a person as actor, 20 kinds. Needs the local
# PostgreSQL (127.0.0.1:5432, trust), pgbench, and a built `target/debug/gerbang` (the
# janitor's cost is PostgreSQL's; BIN=... picks another binary).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-8000000}
OLD=${2:-5000000}
DB=gerbang_janitor_bench
BIN=${BIN:-target/debug/gerbang}
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt)
URL="postgres://postgres@127.0.0.1:5432/$DB"
NOW=$(date +%s)
DAY=86400
OUT=bench/last-janitor-audit.md

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
GERBANG_DATABASE_URL=$URL "$BIN" role list >/dev/null   # applies the migrations
P=("${PSQL[@]}" -d "$DB")

echo "generating $ROWS audit events ($OLD expired)..."
t0=$(date +%s)
"${P[@]}" <<SQL
INSERT INTO users (id, nip, name, email, created_at, updated_at)
SELECT 'u' || g, '19850712' || lpad(g::text, 10, '0'), 'Pegawai ' || g, 'p' || g || '@bkn.go.id', 0, 0
FROM generate_series(1, 100000) g;
-- Loaded without indexes, which are then built as the migrations define them.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
DROP INDEX audit_events_subject, audit_events_at, audit_events_kind, audit_events_actor;
INSERT INTO audit_events (id, at, actor, subject, kind, ip, user_agent, client_id, detail)
SELECT gen_random_uuid()::text,
       CASE WHEN g <= $OLD THEN $NOW - 800 * $DAY + (g::bigint * 399 * $DAY) / $OLD
            ELSE $NOW - 399 * $DAY + ((g - $OLD)::bigint * 399 * $DAY) / greatest($ROWS - $OLD, 1) END,
       CASE WHEN g % 10 < 3 THEN 'u' || (1 + (g::bigint * 7919) % 100000) END,
       'u' || (1 + (g::bigint * 104729) % 100000),
       (ARRAY['login_success','login_success','login_success','login_success','login_success',
              'login_success','login_failure','login_failure','otp_failure','consent_granted',
              'password_changed','password_reset','mfa_device_added','helpdesk_action',
              'account_locked','reset_requested','login_blocked','recovery_code_used',
              'access_denied','helpdesk_refused'])[1 + g % 20],
       '10.' || (g % 200) || '.' || (g % 250) || '.' || (g % 253),
       'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', NULL, NULL
FROM generate_series(1, $ROWS) g;
ALTER TABLE audit_events ADD PRIMARY KEY (id);
CREATE INDEX audit_events_subject ON audit_events (subject, at);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_kind ON audit_events (kind, at);
CREATE INDEX audit_events_actor ON audit_events (actor, at);
VACUUM ANALYZE audit_events;
VACUUM ANALYZE users;
SQL
echo "generated in $(( $(date +%s) - t0 )) s"
SIZE=$("${P[@]}" -c "SELECT pg_size_pretty(pg_total_relation_size('audit_events'))")

# Each console filter as search_audit writes it (only given filters become conditions),
# newest first, the console's 5,000-row cap; parameters drawn at random per transaction.
W=$(mktemp -d)
COLS="SELECT a.at, a.kind, a.ip, a.detail, ua.nip AS actor_nip, us.nip AS subject_nip FROM audit_events a LEFT JOIN users ua ON ua.id = a.actor LEFT JOIN users us ON us.id = a.subject"
NIP="'19850712' || lpad(CAST(:p AS text), 10, '0')"
MONTH="a.at >= :t - 30 * 86400 AND a.at < :t"
declare -A F=(
  [date_month]="WHERE $MONTH"
  [all_time]="WHERE a.at >= 0 AND a.at < 4611686018427387903"
  [kind_month]="WHERE $MONTH AND a.kind = 'password_changed'"
  [kind_all_time]="WHERE a.at >= 0 AND a.at < 4611686018427387903 AND a.kind = 'password_reset'"
  [actor_all_time]="WHERE a.at >= 0 AND a.at < 4611686018427387903 AND a.actor = (SELECT id FROM users WHERE nip = $NIP)"
  [subject_all_time]="WHERE a.at >= 0 AND a.at < 4611686018427387903 AND a.subject = (SELECT id FROM users WHERE nip = $NIP)"
  [subject_month]="WHERE $MONTH AND a.subject = (SELECT id FROM users WHERE nip = $NIP)"
  [actor_kind]="WHERE a.at >= 0 AND a.at < 4611686018427387903 AND a.actor = (SELECT id FROM users WHERE nip = $NIP) AND a.kind = 'login_success'"
  [subject_kind_month]="WHERE $MONTH AND a.subject = (SELECT id FROM users WHERE nip = $NIP) AND a.kind = 'login_failure'"
)
{
  echo "# janitor_audit.sh $ROWS $OLD — $(date -u +%FT%TZ)"
  echo
  echo "audit_events: $ROWS rows, $SIZE with indexes."
  echo
  echo "| filter | plan (index) | tx/s (2 clients, 10 s) | p50 ms | p99 ms |"
  echo "| --- | --- | --- | --- | --- |"
} > "$OUT"
for name in date_month all_time kind_month kind_all_time actor_all_time subject_all_time subject_month actor_kind subject_kind_month; do
  q="$COLS ${F[$name]} ORDER BY a.at DESC, a.id LIMIT 5000;"
  printf '\\set p random(1, 100000)\n\\set t random(%s, %s)\n%s\n' "$((NOW - 360 * DAY))" "$NOW" "$q" > "$W/$name.sql"
  plan=$("${P[@]}" -c "EXPLAIN $(echo "$q" | sed "s/:p/4011/g; s/:t/$NOW/g")" | grep -o 'Index[A-Za-z ]* using [a-z_]*\|Bitmap Index Scan on [a-z_]*\|Seq Scan on [a-z_]*' | sort -u | paste -sd, -)
  (cd "$W" && rm -f pgbench_log.* && pgbench -h 127.0.0.1 -U postgres -n -c 2 -j 2 -T 10 -l -f "$name.sql" "$DB" > "$name.out" 2>&1)
  tps=$(grep -o 'tps = [0-9.]*' "$W/$name.out" | head -1 | cut -d' ' -f3)
  read -r p50 p99 < <(cat "$W"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2f %.2f\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')
  echo "| $name | $plan | $tps | $p50 | $p99 |" >> "$OUT"
done

# A hot write on the janitor's own table (a sign-in's audit row), 2 clients for 10 s: idle,
# then again while the janitor works (below); p99 from pgbench's per-transaction log.
printf '%s\n' "INSERT INTO audit_events (id, at, actor, subject, kind, ip, user_agent) VALUES (gen_random_uuid()::text, extract(epoch from now())::bigint, NULL, 'u4011', 'login_success', '10.0.0.1', 'Mozilla/5.0');" > "$W/insert.sql"
insert_p99() {
  (cd "$W" && rm -f pgbench_log.* && pgbench -h 127.0.0.1 -U postgres -n -c 2 -j 2 -T 10 -l -f insert.sql "$DB" > insert.out 2>&1)
  tps=$(grep -o 'tps = [0-9.]*' "$W/insert.out" | head -1 | cut -d' ' -f3)
  cat "$W"/pgbench_log.* | awk '{print $3}' | sort -n | awk -v tps="$tps" '{a[NR]=$1} END {printf "%s tx/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", tps, a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, a[NR]/1000}'
}
echo >> "$OUT"
echo "Audit insert (pgbench, 2 clients, 10 s) with the janitor idle: $(insert_p99)" >> "$OUT"

# The janitor on the backlog: a real server, default batch (2,000) and pause (50 ms),
# deleted rows read from /metrics every 10 s.
echo >> "$OUT"
echo "Janitor (batch 2,000, pause 50 ms) on $OLD expired of $ROWS rows:" >> "$OUT"
echo >> "$OUT"
PORT=18499
D=$(mktemp -d)
GERBANG_DATABASE_URL=$URL GERBANG_LISTEN=127.0.0.1:$PORT GERBANG_KEYS_DIR=$D/keys GERBANG_DATA_DIR=$D/data \
  GERBANG_LOG=warn "$BIN" serve & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
start=$(date +%s.%N)
deleted=0
sleep 15
echo "- audit insert while the janitor deletes: $(insert_p99)" >> "$OUT"
until [ "$deleted" -ge "$OLD" ]; do
  sleep 10
  deleted=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^gerbang_janitor_deleted_rows_total\{job="audit_events"\}/ {print $2}')
  deleted=${deleted:-0}
  el=$(echo "$(date +%s.%N) - $start" | bc)
  echo "- ${el%.*} s: $deleted deleted ($(echo "$deleted / $el" | bc) rows/s)" | tee -a "$OUT"
done
kill $SERVER
"${P[@]}" -c "SELECT 'left: ' || count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('audit_events')) || ' before VACUUM' FROM audit_events" | sed 's/^/- /' >> "$OUT"
rm -rf "$W" "$D"
cat "$OUT"
