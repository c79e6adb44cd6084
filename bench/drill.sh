#!/usr/bin/env bash
# Fault drills (kill -9 of a replica, Redis restart, PostgreSQL restart) under a load of
# activations. Needs PostgreSQL on 127.0.0.1:5432 that this script may stop and start
# (pg_ctlcluster), and redis-server on PATH (the drill runs its own on port 16379).
# Usage: bench/drill.sh            (USERS=120 per drill, THREADS=8)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --features test-hooks
exec python3 bench/drill.py target/release/gerbang
