#!/usr/bin/env bash
# The long fuzz run: every target in turn, for FUZZ_SECONDS seconds each (default 900, so an
# hour for four targets), on ONE core at the lowest priority, growing fuzz/corpus/<target>.
# Prints the executions per target and their sum; exits non-zero when a target crashed (the input
# is in fuzz/artifacts/<target>/). Minimise a crash with
#   (cd fuzz && cargo +nightly fuzz tmin -O <target> artifacts/<target>/crash-...)
# and keep it as tests/regression/<target>/<name> so `cargo test --test regression` replays it.
#
# Usage: scripts/fuzz-long.sh [target...]      (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/fuzz-common.sh
fuzz_setup
secs=${FUZZ_SECONDS:-900}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${FUZZ_TARGETS[@]}")

(cd fuzz && nice -n 19 cargo "${FUZZ_TOOLCHAIN[@]}" fuzz build -O)
bin=fuzz/target/x86_64-unknown-linux-gnu/release
[ -d fuzz/corpus/analyze ] || "$bin/seed-corpus" fuzz/corpus
log=fuzz/artifacts/long-logs
mkdir -p "$log"

total=0
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  extra=()
  [ -d "tests/regression/$t" ] && extra+=("tests/regression/$t")
  echo "=== $t for $secs s ($(date +%H:%M:%S))"
  # With -jobs, libFuzzer writes the worker's output to fuzz-0.log in the current directory:
  # run from the log folder, with absolute paths.
  root=$PWD
  if (cd "$log" && nice -n 19 "$root/$bin/$t" "$root/fuzz/corpus/$t" "${extra[@]/#/$root/}" \
      -max_total_time="$secs" -jobs=1 -workers=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -timeout=30 -artifact_prefix="$root/fuzz/artifacts/$t/" -print_final_stats=1 \
      >"$t.log" 2>&1); then
    result=ok
  else
    result=CRASH
    status=1
  fi
  [ -f "$log/fuzz-0.log" ] && mv "$log/fuzz-0.log" "$log/$t.worker.log"
  execs=$(cat "$log/$t.log" "$log/$t.worker.log" 2>/dev/null |
    grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' | tail -1)
  execs=${execs:-0}
  total=$((total + execs))
  echo "$result $t: $execs executions, corpus $(ls "fuzz/corpus/$t" | wc -l) files"
  if [ "$result" = CRASH ]; then
    grep -hE 'panicked|ERROR|SUMMARY|Test unit written' "$log/$t.log" "$log/$t.worker.log" 2>/dev/null | head -20
  fi
done
echo "=== total executions: $total"
exit $status
