#!/usr/bin/env bash
# Builds and runs the whole test suite: dev build (warnings as errors), the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, and a short
# run of every libFuzzer target. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== dev build and tests"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

echo "== asan-ubsan build and tests"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
ctest --preset asan-ubsan -j "$jobs"

echo "== fuzz targets (short runs)"
./scripts/run-fuzz.sh "${FUZZ_SECONDS:-5}"
