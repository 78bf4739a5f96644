#!/usr/bin/env bash
# Fuzz smoke run: a fixed number of executions of every fuzz target (a few minutes in all on two
# cores), starting afresh from the generated seed corpus plus the inputs that once crashed
# (tests/regression/<target>/), with a fixed libFuzzer seed, so two runs on the same code do the
# same work. Exits non-zero on any crash, leak, timeout or out-of-memory; the input that did it
# is left in fuzz/artifacts/<target>/ and its path printed.
#
# Installs cargo-fuzz when missing. Environment:
#   FUZZ_RUNS_SCALE  multiplies every target's run count (default 1)
#   FUZZ_JOBS        parallel targets (default 2: one per core)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/fuzz-common.sh
fuzz_setup
start=$SECONDS
scale=${FUZZ_RUNS_SCALE:-1}

# Executions per target, sized so each takes about a minute on one core (the analyzer costs
# 10-50 ms a frame under ASan, so analyze and session run far fewer inputs than config).
declare -A RUNS=([analyze]=2000 [decode]=15000 [session]=400 [config]=100000 [capi]=8000)

echo "=== building fuzz targets (${FUZZ_TOOLCHAIN[*]:-stable+bootstrap})"
(cd fuzz && cargo "${FUZZ_TOOLCHAIN[@]}" fuzz build -O)
bin=fuzz/target/x86_64-unknown-linux-gnu/release
echo "=== seeding a fresh corpus in fuzz/corpus-smoke"
rm -rf fuzz/corpus-smoke
"$bin/seed-corpus" fuzz/corpus-smoke

# Memory limits: an absurd declared size must be refused, not allocated.
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30)
log=fuzz/artifacts/smoke-logs
mkdir -p "$log"

run_target() {
  local t=$1 runs=$(( ${RUNS[$1]} * scale ))
  local extra=()
  [ -d "tests/regression/$t" ] && extra+=("tests/regression/$t")
  mkdir -p "fuzz/corpus-smoke/$t" "fuzz/artifacts/$t"
  local t0=$SECONDS
  if "$bin/$t" "fuzz/corpus-smoke/$t" "${extra[@]}" -runs="$runs" -seed=1 "${LIMITS[@]}" \
      -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$log/$t.log" 2>&1; then
    echo "ok   $t: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log/$t.log" | grep -o '[0-9]*$') executions in $((SECONDS - t0)) s"
  else
    echo "FAIL $t (log $log/$t.log):"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|artifact' "$log/$t.log" | head -20
    return 1
  fi
}

echo "=== running ${FUZZ_TARGETS[*]}"
status=0
pids=()
for t in "${FUZZ_TARGETS[@]}"; do
  run_target "$t" &
  pids+=($!)
  # Keep at most FUZZ_JOBS targets running.
  while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-2}" ]; do sleep 1; done
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
echo "=== fuzz smoke $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit $status
