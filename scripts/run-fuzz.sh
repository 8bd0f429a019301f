#!/usr/bin/env bash
# Builds every libFuzzer target (clang) and runs each for N seconds
# (default 10), seeded from the fixture folders of its collector.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
for target in build/fuzz/fuzz/*_fuzz; do
  [ -x "$target" ] || continue
  name=$(basename "$target" _fuzz)
  corpus=$(mktemp -d)
  # Seed: every file of the collector's fixtures.
  if [ -d "tests/fixtures/$name" ]; then
    find "tests/fixtures/$name" -type f -size -64k -exec cp -t "$corpus" --backup=numbered {} + 2>/dev/null || true
  fi
  echo "fuzz $name for ${seconds}s"
  "$target" -max_total_time="$seconds" -print_final_stats=0 "$corpus" 2>&1 | tail -n 2
  rm -rf "$corpus"
done
