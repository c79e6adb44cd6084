#!/usr/bin/env bash
# Reset throughput and time-to-send. Usage: bench/reset.sh [users] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-400}; THREADS=${2:-8}
cargo build --release --quiet --features test-hooks
BIN=target/release/gerbang
WORK=$(mktemp -d)
PORT=18081 SMTP=18025
export GERBANG_LISTEN=127.0.0.1:$PORT GERBANG_ISSUER=http://127.0.0.1:$PORT
export GERBANG_KEYS_DIR=$WORK/keys GERBANG_LOG=warn GERBANG_DATABASE_URL=sqlite://$WORK/gerbang.db
export GERBANG_RATE_LIMIT__ENABLED=false GERBANG_TEST_HOOKS=1 GERBANG_SMTP_URL=smtp://127.0.0.1:$SMTP
python3 - "$USERS" > "$WORK/users.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("nip,name,email,instansi_id,unit_kerja,jabatan")
for i in range(n):
    nip = f"19850712201001{1 + i // 999}{i % 999 + 1:03d}"
    print(f"{nip},Pegawai {i},{nip}@bench.go.id,4011,,")
PY
tail -n +2 "$WORK/users.csv" | cut -d, -f1 > "$WORK/nips"
$BIN user import "$WORK/users.csv" >/dev/null
$BIN serve & PID=$!
trap 'kill $PID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$GERBANG_ISSUER/healthz" >/dev/null && break; sleep 0.1; done
python3 bench/reset_bench.py "$GERBANG_ISSUER" $SMTP "$WORK/nips" "$THREADS"
if [ -n "${KEEP:-}" ]; then echo "kept: $WORK" >&2; fi
