#!/usr/bin/env bash
# Times the sweep targets on this machine (release build, dev proofs, every core):
# every shipped scenario x 100 seeds (the scorecard's runs; target under 5 minutes on
# two cores) and the shipped plan pos-uncle-sweep. Prints runs, seconds and runs per
# second for each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --bin zkarena
bin=target/release/zkarena
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
time_it() {
  local label=$1 runs=$2
  shift 2
  local start end
  start=$(date +%s.%N)
  "$bin" "$@" --out "$out/$label" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  awk -v l="$label" -v r="$runs" -v s="$start" -v e="$end" \
    'BEGIN { t = e - s; printf "%-40s %6d runs %8.1f s %8.1f runs/s\n", l, r, t, r / t }'
}
scenarios=$("$bin" list | awk '/^scenarios/ { on = 1; next } /^sweep plans/ { on = 0 } on { n++ } END { print n }')
time_it "every shipped scenario x 100 seeds" $((scenarios * 100)) scorecard --seeds 100
time_it "pos-uncle-sweep (11 shares x 3 seeds)" 33 sweep pos-uncle-sweep
