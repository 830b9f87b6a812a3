#!/usr/bin/env bash
# Compiles every Solidity contract under contracts/ with a pinned solc (the npm package,
# installed into scripts/.solc, which git ignores) and writes one JSON artifact per
# contract to fixtures/contracts/. The artifacts are committed: building zkarena never
# needs node. CI runs this and fails if the artifacts differ from the sources.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="0.8.30"
solc_dir="$root/scripts/.solc"
if [ ! -f "$solc_dir/node_modules/solc/package.json" ] \
  || [ "$(node -p "require('$solc_dir/node_modules/solc/package.json').version")" != "$version" ]; then
  mkdir -p "$solc_dir"
  npm install --prefix "$solc_dir" --no-audit --no-fund --silent --no-save "solc@$version" >&2
fi
cd "$root"
node scripts/compile-contracts.js "$solc_dir/node_modules/solc" contracts fixtures/contracts
