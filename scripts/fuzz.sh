#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 60) each, seeded from the repository's
# own events, rules and fixtures, and prints executions, time, rate and findings per target.
# Exits non-zero on a finding of any kind, a failed run, or a target that ended before its time.
#
#   FUZZ_TARGETS   which targets (default: all of them)
#   FUZZ_PARALLEL  targets run side by side, one core each (default: the machine's cores)
#
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-60}"
TARGETS="${FUZZ_TARGETS:-decode trigger rules render projection correlation plan}"
PARALLEL="${FUZZ_PARALLEL:-$(nproc)}"

# Paths the projection seeds ask for: the head fields, nested ones, one through an array.
PATHS="eventName userIdentity.type userIdentity.sessionContext.attributes requestParameters resources.ARN detail.eventName detail.userIdentity.arn"

seed() {
  local dir="fuzz/corpus/$1"
  mkdir -p "$dir"
  case "$1" in
    trigger) cp events/*.json "$dir"/ ;;
    rules) find rules tests/fixtures -name '*.yml' -exec cp {} "$dir"/ \; ;;
    decode)
      cp events/trail/demo-trail.json events/trail/demo-trail.json.gz "$dir"/
      printf '[{"a":1},{"a":2}]' >"$dir/array.json"
      printf '{"a":1}\n{"a":2}\n' >"$dir/ndjson.json" ;;
    render)
      printf 'Root reboot\0{"eventName":"RebootInstance","userIdentity":{"arn":"@here <!channel>"}}' >"$dir/alert"
      printf 'T\0\xe2\x80\xae evil\x07 `x` @channel' >"$dir/strings" ;;
    projection)
      # A path line, then a record: each EventBridge event, and hand-made awkward records.
      for f in events/eventbridge-*.json; do
        { printf '%s\n' "$PATHS"; cat "$f"; } >"$dir/$(basename "$f")"
      done
      printf '%s\n{"eventName":"A","eventName":"B\\u0041","resources":[{"ARN":"x"},[{"ARN":["y",null]}]],"userIdentity":{"type":7}}' \
        "$PATHS" >"$dir/awkward.json"
      printf '%s\n {"userIdentity" : {"sessionContext":{"attributes":{"mfa":"true"}}} , "requestParameters":[1,{"a":{}}]}' \
        "$PATHS" >"$dir/spaced.json" ;;
    correlation | plan)
      # Byte layouts (see the targets): a few fixed cases, so the run starts from alerts.
      python3 - "$1" "$dir" <<'PY'
import random, sys
target, out = sys.argv[1], sys.argv[2]
rng = random.Random(19)
for n in range(8):
    size = 13 + 4 * rng.randrange(4, 40) if target == "correlation" else 3 + 3 * rng.randrange(4, 60)
    data = bytes([n % 3, n, n, n]) + bytes(rng.randrange(256) for _ in range(size - 4))
    open(f"{out}/seed-{n}", "wb").write(data)
PY
      ;;
  esac
}

# One target for its time: writes its summary line to fuzz/artifacts/<t>.result.
run() {
  local t="$1" log="fuzz/artifacts/$1.log"
  mkdir -p "fuzz/artifacts/$t"
  local start rc=0
  start=$(date +%s)
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
      -print_final_stats=1 >"$log" 2>&1 || rc=$?
  local elapsed=$(( $(date +%s) - start ))
  # Findings of any kind: artifacts libFuzzer wrote, or a sanitizer's report in the log.
  local findings reports execs rate="?" verdict=ok
  findings=$(ls "fuzz/artifacts/$t" | grep -cE '^(crash|oom|timeout|leak|slow-unit)-' || true)
  reports=$(grep -cE '^(SUMMARY: [A-Za-z]+Sanitizer|==[0-9]+==ERROR)' "$log" || true)
  findings=$(( findings + reports ))
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}' || true)
  [ -n "$execs" ] || execs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -1 | awk '{print $2}' || true)
  [ -n "$execs" ] && [ "$elapsed" -gt 0 ] && rate=$(( execs / elapsed ))
  if [ "$findings" -gt 0 ]; then
    verdict="findings (see $log and fuzz/artifacts/$t)"
  elif [ "$rc" -ne 0 ]; then
    verdict="failed with exit $rc (see $log)"
  elif [ "$elapsed" -lt "$SECONDS_EACH" ]; then
    # libFuzzer stops early on its own errors; a short run is not a clean one.
    verdict="ended early (see $log)"
  fi
  echo "$t: execs=${execs:-?} time=${elapsed}s rate=${rate}/s findings=$findings $verdict" \
    >"fuzz/artifacts/$t.result"
}

# Built once up front so the time per target is fuzzing time, not compile time.
cargo +nightly fuzz build

lane=0
for t in $TARGETS; do
  seed "$t"
  rm -f "fuzz/artifacts/$t.result"
  run "$t" &
  lane=$(( lane + 1 ))
  if [ "$lane" -ge "$PARALLEL" ]; then
    wait -n || true
    lane=$(( lane - 1 ))
  fi
done
wait || true

status=0
for t in $TARGETS; do
  line=$(cat "fuzz/artifacts/$t.result" 2>/dev/null || echo "$t: no result (the run died)")
  echo "$line"
  case "$line" in *" ok") ;; *) status=1 ;; esac
done
exit $status
