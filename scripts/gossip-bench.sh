#!/usr/bin/env bash
# The gossip propagation measurement in BENCHMARKS.md: a 32-node local testnet (4 validators,
# 4 miners, 24 full nodes) with every node capturing its gossip, a warm-up, then a steady transfer load
# for the measured period, then `tau testnet report` over the captures. Prints the heights the
# chain reached during the run and how busy the machine was (the testnet's share and the rest).
#
# Usage: scripts/gossip-bench.sh            (environment: DIR, VALIDATORS, MINERS, FULL, RATE, SECS,
#                                            WARMUP, SEED, TAU to use a prebuilt binary)
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${DIR:-.tau-gossip-bench}
VALIDATORS=${VALIDATORS:-4}
MINERS=${MINERS:-4}
FULL=${FULL:-24}
RATE=${RATE:-10}
SECS=${SECS:-300}
WARMUP=${WARMUP:-60}
SEED=${SEED:-7}

if [ -z "${TAU:-}" ]; then
    source scripts/prereqs.sh
    tau_prereqs
    echo "==> building tau (release)"
    cargo build --release --locked -p node --bin tau
    TAU="$CARGO_TARGET_DIR/release/tau"
fi
if [ -e "$DIR" ]; then
    echo "$DIR exists; remove it first (each run starts from a fresh testnet)" >&2
    exit 1
fi

# Busy and total CPU ticks of the machine, and CPU ticks of the testnet's node processes.
machine_ticks() { awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }
node_ticks() {
    local sum=0 pid
    for f in "$DIR"/*/pid; do
        pid=$(cat "$f")
        [ -r "/proc/$pid/stat" ] || continue
        sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$sum"
}
heights() { "$TAU" testnet status --dir "$DIR" | awk 'NR>1 && $4 ~ /^[0-9]+$/ {print $4}' | sort -n | sed -n '1p;$p' | paste -sd' '; }

"$TAU" testnet up --dir "$DIR" --validators "$VALIDATORS" --miners "$MINERS" --full "$FULL" \
    --capture --seed "$SEED" --wait 120 > /dev/null
sampler=
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2> /dev/null
    "$TAU" testnet down --dir "$DIR" > /dev/null
}
trap cleanup EXIT
echo "==> $((VALIDATORS + MINERS + FULL)) nodes up; warming up for ${WARMUP} s"
sleep "$WARMUP"

read -r busy0 total0 < <(machine_ticks)
nodes0=$(node_ticks)
echo "==> heights (lowest highest) before the load: $(heights)"
# Lowest height every 30 s during the load: blocks must keep finalising throughout.
( while sleep 30; do heights | cut -d' ' -f1 >> "$DIR/heights.log"; done ) &
sampler=$!
"$TAU" testnet load --dir "$DIR" --rate "$RATE" --duration "$SECS"
kill "$sampler" 2> /dev/null || true
read -r busy1 total1 < <(machine_ticks)
nodes1=$(node_ticks)
echo "==> heights (lowest highest) after the load: $(heights)"
echo "==> lowest height every 30 s during the load: $(paste -sd' ' "$DIR/heights.log" 2> /dev/null)"

ncpu=$(nproc)
awk -v b="$((busy1 - busy0))" -v t="$((total1 - total0))" -v n="$((nodes1 - nodes0))" \
    -v c="$ncpu" 'BEGIN {
        printf "==> during the load: machine %.0f%% busy (of %d cores), the testnet nodes %.0f%%, other processes %.0f%%\n",
            100 * b / t, c, 100 * n / t, 100 * (b - n) / t }'

"$TAU" testnet down --dir "$DIR" > /dev/null
trap - EXIT
"$TAU" testnet report "$DIR" --warmup "$WARMUP"
