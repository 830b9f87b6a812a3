#!/usr/bin/env bash
# Regenerates docs/scorecard.md: every registered mechanism x its shipped scenarios over
# 100 seeds (dev proofs). CI runs `zkarena scorecard --check docs/scorecard.md`, which
# fails when this file is not current. Extra arguments go to `zkarena scorecard`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release --bin zkarena -- scorecard --out target/scorecard "$@"
cp target/scorecard/scorecard.md docs/scorecard.md
echo "docs/scorecard.md regenerated (the HTML page with charts: target/scorecard/scorecard.html)"
