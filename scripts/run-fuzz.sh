#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for N
# seconds (default 10). A target fuzz/<name>_fuzz.cpp is seeded from every
# regular file under tests/fixtures/<name>/ and fuzz/seeds/<name>/.
#
# Seeds are copied into a flat temporary corpus under their content hash:
# fixture trees repeat file names (proc/stat in every case), so copying by
# name would drop all but one of them. Symlinks (sysfs links in fixtures)
# are not seeds.
#
# A crash keeps its input in build/fuzz/artifacts/ and prints the fuzzer's
# report; every target still runs, and the script exits non-zero at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

artifacts=build/fuzz/artifacts
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sanitizers abort on the first report so libFuzzer records the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=(build/fuzz/fuzz/*_fuzz)
if [ ! -x "${targets[0]}" ]; then
  echo "no fuzz targets built under build/fuzz/fuzz" >&2
  exit 1
fi

failed=()
for target in "${targets[@]}"; do
  [ -x "$target" ] || continue
  name=$(basename "$target" _fuzz)
  corpus="$work/$name"
  mkdir -p "$corpus"
  for seed_dir in "tests/fixtures/$name" "fuzz/seeds/$name"; do
    [ -d "$seed_dir" ] || continue
    while IFS= read -r -d '' seed; do
      hash=$(sha1sum <"$seed")
      cp -- "$seed" "$corpus/${hash%% *}"
    done < <(find "$seed_dir" -type f -size -64k -print0)
  done
  seeds=$(find "$corpus" -type f | wc -l)
  if [ "$seeds" -eq 0 ]; then
    echo "fuzz $name: no seeds (add tests/fixtures/$name/ or fuzz/seeds/$name/)" >&2
    failed+=("$name (no seeds)")
    continue
  fi
  echo "fuzz $name for ${seconds}s from $seeds seeds"
  log="$work/$name.log"
  if "$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units)' "$log" | tail -n 1 || true
  else
    echo "fuzz $name FAILED; its report:" >&2
    # The report without libFuzzer's progress lines ("#1234 NEW cov: ...").
    grep -v -E '^#[0-9]+[[:space:]]' "$log" | tail -n 60 >&2
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz failures: ${failed[*]} (inputs in $artifacts/)" >&2
  exit 1
fi
