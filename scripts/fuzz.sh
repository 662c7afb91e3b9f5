#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 60) each, seeded from the repository's
# own events and rules, and prints execs, time and crashes per target. Exits non-zero on a crash.
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
  if cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
      $parallel -print_final_stats=1 >"$log" 2>&1; then
    crashes=0
  else
    crashes=$(ls "fuzz/artifacts/$t" | grep -cE '^(crash|oom|timeout|leak)-' || true)
    [ "$crashes" = 0 ] && crashes="error (see $log)"
    status=1
  fi
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  summary+=("$t: execs=${execs:-?} time=$(( $(date +%s) - start ))s crashes=$crashes")
done
printf '%s\n' "${summary[@]}"
exit $status
