#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 60) each, seeded from the repository's
# own events and rules, and prints executions, time, rate and findings per target. Exits non-zero
# on a finding of any kind, a failed run, or a target that ended before its time.
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-60}"
TARGETS="${FUZZ_TARGETS:-decode trigger rules render}"
JOBS="${FUZZ_JOBS:-1}"

seed() {
  local dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$1" in
    trigger) cp events/*.json "$dir"/ ;;
    rules) find rules tests/fixtures/rules -name '*.yml' -exec cp {} "$dir"/ \; ;;
    decode)
      printf '{"Records":[{"eventName":"A","eventSource":"s3.amazonaws.com"},{"b":[1,{"c":null}]}]}' >"$dir/delivery.json"
      gzip -c "$dir/delivery.json" >"$dir/delivery.json.gz"
      printf '[{"a":1},{"a":2}]' >"$dir/array.json"
      printf '{"a":1}\n{"a":2}\n' >"$dir/ndjson.json" ;;
    render)
      printf 'Root reboot\0{"eventName":"RebootInstance","userIdentity":{"arn":"@here <!channel>"}}' >"$dir/alert"
      printf 'T\0\xe2\x80\xae evil\x07 `x` @channel' >"$dir/strings" ;;
  esac
}

# Built once up front so the time per target is fuzzing time, not compile time.
cargo +nightly fuzz build

# libFuzzer's -jobs writes fuzz-N.log files into the working directory: only ask for it when
# running in parallel.
parallel=""
[ "$JOBS" -gt 1 ] && parallel="-jobs=$JOBS -workers=$JOBS"

summary=()
status=0
for t in $TARGETS; do
  seed "$t"
  log="fuzz/artifacts/$t.log"
  mkdir -p "fuzz/artifacts/$t"
  start=$(date +%s)
  rc=0
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
      $parallel -print_final_stats=1 >"$log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))
  # Findings of any kind: artifacts libFuzzer wrote, or a sanitizer's report in the log.
  findings=$(ls "fuzz/artifacts/$t" | grep -cE '^(crash|oom|timeout|leak|slow-unit)-' || true)
  reports=$(grep -cE '^(SUMMARY: [A-Za-z]+Sanitizer|==[0-9]+==ERROR)' "$log" || true)
  findings=$(( findings + reports ))
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  [ -n "$execs" ] || execs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | awk '{print $2}')
  rate="?"
  [ -n "$execs" ] && [ "$elapsed" -gt 0 ] && rate=$(( execs / elapsed ))
  verdict=ok
  if [ "$findings" -gt 0 ]; then
    verdict="findings (see $log and fuzz/artifacts/$t)"
    status=1
  elif [ "$rc" -ne 0 ]; then
    verdict="failed with exit $rc (see $log)"
    status=1
  elif [ "$elapsed" -lt "$SECONDS_EACH" ]; then
    # libFuzzer stops early on its own errors; a short run is not a clean one.
    verdict="ended early (see $log)"
    status=1
  fi
  summary+=("$t: execs=${execs:-?} time=${elapsed}s rate=${rate}/s findings=$findings $verdict")
done
printf '%s\n' "${summary[@]}"
exit $status
