#!/usr/bin/env bash
# Builds and runs the whole test suite: dev build (warnings as errors), the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, and a short
# run of every libFuzzer target (FUZZ_SECONDS each, default 5). Exits
# non-zero on the first failing stage, and prints how long each stage took.
#
# Run as root (as CI does), the tests of unreadable and read-only files drop
# to 'nobody' in a child process (tests/support/unprivileged.hpp), so none is
# skipped. The three build folders (build/dev, build/asan-ubsan, build/fuzz)
# are reused between runs; with Debian's ccache installed, so are objects.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
started=$SECONDS

stage() {
  echo "== $1"
  stage_started=$SECONDS
}
stage_done() {
  echo "== $1 took $((SECONDS - stage_started))s"
}

stage "dev build and tests"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"
stage_done "dev"

stage "asan-ubsan build and tests"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
ctest --preset asan-ubsan -j "$jobs"
stage_done "asan-ubsan"

stage "fuzz targets (short runs)"
./scripts/run-fuzz.sh "${FUZZ_SECONDS:-5}"
stage_done "fuzz"

echo "== all stages passed in $((SECONDS - started))s"
