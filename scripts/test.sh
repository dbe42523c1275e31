#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test of every crate, in the one release profile.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh
tau_prereqs

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (release, all targets, -D warnings)"
cargo clippy --release --workspace --all-targets --locked -- -D warnings
echo "==> cargo test (release)"
cargo test --release --workspace --locked
