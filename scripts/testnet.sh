#!/usr/bin/env bash
# Builds tau (release) and runs `tau testnet` with the given arguments (default: `up`).
# Usage: scripts/testnet.sh [up|down|status|...] [flags]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh
tau_prereqs

echo "==> building tau (release; the first build compiles RocksDB, ~15 minutes on 2 cores)"
cargo build --release --locked -p node --bin tau
[ $# -eq 0 ] && set -- up
exec "$CARGO_TARGET_DIR/release/tau" testnet "$@"
