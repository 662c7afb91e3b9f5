#!/usr/bin/env bash
# make demo: the Lambda, locally, end to end, with no AWS account.
#
#   moto_server (S3 + SNS + SQS)  <-  bucket with a CloudTrail delivery, alert topic, queue
#   cargo lambda watch            <-  serves trailwatch-lambda behind the Lambda Runtime API
#   cargo lambda invoke           ->  events/s3-put.json, as S3 would send it
#                                     (or $EVENT: `make invoke-local EVENT=events/sqs-s3.json`)
#
# then prints the function's summary and the alert(s) the subscriber queue received.
# Everything started here is stopped on exit, by process group, also on error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENT="${EVENT:-events/s3-put.json}"

VENV="$PWD/.venv"
if [[ ! -x "$VENV/bin/moto_server" || ! -x "$VENV/bin/cargo-lambda" ]]; then
    echo "error: $VENV is missing moto_server or cargo-lambda; run 'make .venv' (make demo does)" >&2
    exit 1
fi
export PATH="$VENV/bin:$PATH"
PY="$VENV/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/trailwatch-demo.XXXXXX")"
PIDS=()

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -ne 0 ]]; then
        echo "demo failed (exit $status); logs:" >&2
        for log in "$WORK"/*.log; do
            [[ -s "$log" ]] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
        done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT SECONDS PID: until something listens on 127.0.0.1:PORT, or PID dies.
wait_port() {
    local port=$1 seconds=$2 pid=$3 i
    for ((i = 0; i < seconds * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "error: process $pid exited before serving on $port" >&2; return 1; }
        sleep 0.1
    done
    echo "error: nothing answered on 127.0.0.1:$port within ${seconds}s" >&2
    return 1
}

# start NAME CMD...: runs CMD in its own process group (so its children stop with it).
start() {
    local name=$1
    shift
    setsid "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
}

step "starting moto_server (local S3, SNS, SQS)"
MOTO_PORT="$(free_port)"
start moto moto_server -H 127.0.0.1 -p "$MOTO_PORT"
wait_port "$MOTO_PORT" 30 "${PIDS[-1]}"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN RULES_PATH RULES_S3_URI
echo "    $AWS_ENDPOINT_URL"

step "creating the trail bucket, the alert topic and a subscriber queue"
eval "$("$PY" scripts/demo_aws.py setup)"
export ALERT_TOPIC_ARN="$TOPIC_ARN" STATE_TABLE

step "building trailwatch-lambda (debug; the first build takes a few minutes)"
cargo build --bin trailwatch-lambda

step "starting cargo lambda watch (Lambda Runtime API)"
LAMBDA_PORT="$(free_port)"
start watch cargo lambda watch --ignore-changes -A 127.0.0.1 -P "$LAMBDA_PORT"
wait_port "$LAMBDA_PORT" 120 "${PIDS[-1]}"
echo "    http://127.0.0.1:$LAMBDA_PORT, function env: ALERT_TOPIC_ARN=$ALERT_TOPIC_ARN"

step "invoking trailwatch-lambda with $EVENT"
cargo lambda invoke trailwatch-lambda -A 127.0.0.1 -P "$LAMBDA_PORT" \
    --data-file "$EVENT" >"$WORK/summary.json"
echo "    summary returned by the function:"
"$PY" -m json.tool "$WORK/summary.json" | sed 's/^/    /'

step "what the alert topic delivered"
"$PY" scripts/demo_aws.py alerts "$QUEUE_URL"

# The real-time path: the same root reboot as CloudTrail's EventBridge event. The state table
# knows it was alerted from the file, so it is counted, not sent again (docs/triggers.md).
REALTIME=events/eventbridge-cloudtrail-api-call.json
if [[ "$EVENT" != "$REALTIME" ]]; then
    step "invoking trailwatch-lambda with $REALTIME (the same record, from EventBridge)"
    cargo lambda invoke trailwatch-lambda -A 127.0.0.1 -P "$LAMBDA_PORT" \
        --data-file "$REALTIME" >"$WORK/realtime.json"
    "$PY" scripts/demo_aws.py realtime "$WORK/realtime.json"
    step "what the alert topic delivered for it (nothing new)"
    "$PY" scripts/demo_aws.py alerts "$QUEUE_URL"
fi

printf '\ndone; stopping moto_server and cargo lambda watch\n'
