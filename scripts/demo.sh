#!/usr/bin/env bash
# make demo: the Lambda, locally, end to end, with no AWS account.
#
#   moto (S3 + SNS + SQS)         <-  bucket with a CloudTrail delivery, alert topic, queue
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

# moto's server on a port the kernel picks, printed once it listens (a port picked free and
# handed on could be taken in between).
MOTO_ON_ANY_PORT='
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("moto listening on", server.get_host_and_port()[1], flush=True)
threading.Event().wait()
'

# announced_port LOG SECONDS PID: the port a server printed as "... listening on PORT" in LOG.
announced_port() {
    local log=$1 seconds=$2 pid=$3 i line
    for ((i = 0; i < seconds * 10; i++)); do
        line="$(grep -m1 'listening on ' "$log" 2>/dev/null || true)"
        if [[ -n "$line" ]]; then
            echo "${line##* }"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "error: process $pid exited before it listened" >&2; return 1; }
        sleep 0.1
    done
    echo "error: no port announced in $log within ${seconds}s" >&2
    return 1
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

step "starting moto (local S3, SNS, SQS)"
start moto "$PY" -c "$MOTO_ON_ANY_PORT"
MOTO_PORT="$(announced_port "$WORK/moto.log" 60 "${PIDS[-1]}")"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN RULES_PATH RULES_S3_URI
echo "    $AWS_ENDPOINT_URL"

step "creating the trail bucket, the alert topic and a subscriber queue"
eval "$("$PY" scripts/demo_aws.py setup)"
export ALERT_TOPIC_ARN="$TOPIC_ARN" STATE_TABLE

step "writing the demo's enrichment data (account names, AWS ranges, ASN and country databases)"
eval "$("$PY" scripts/demo_aws.py enrich "$WORK")"
export ENRICH_ACCOUNTS ENRICH_IP_RANGES ENRICH_ASN_DB ENRICH_COUNTRY_DB
echo "    $ENRICH_ACCOUNTS, $ENRICH_IP_RANGES,"
echo "    and two MaxMind DB files in $WORK"

step "building trailwatch-lambda (debug; the first build takes a few minutes)"
cargo build --bin trailwatch-lambda

step "starting cargo lambda watch (Lambda Runtime API)"
# cargo lambda watch cannot bind port 0 (it means 9000) and exits at once on a port already
# taken: a port below the kernel's ephemeral range is offered, and another one if it exits; it
# is ours once it still runs a second after the port answered.
for attempt in 1 2 3 4 5 6 7 8; do
    LAMBDA_PORT=$((10000 + RANDOM % 22768))
    start watch cargo lambda watch --ignore-changes -A 127.0.0.1 -P "$LAMBDA_PORT"
    if wait_port "$LAMBDA_PORT" 120 "${PIDS[-1]}" && sleep 1 && kill -0 "${PIDS[-1]}" 2>/dev/null; then
        break
    fi
    [[ $attempt -lt 8 ]] || { echo "error: cargo lambda watch did not start on 8 ports" >&2; exit 1; }
done
echo "    http://127.0.0.1:$LAMBDA_PORT, function env: ALERT_TOPIC_ARN=$ALERT_TOPIC_ARN, ENRICH_*"

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
