"""The state table's cost and the real-time path's speed, against moto (see bench/README.md).

`moto()` starts moto from .venv (on a port it binds itself) behind a counting proxy;
`claim_cost()` times a scan with the state table against the same scan with in-memory state; `realtime()` drives the release
`trailwatch-lambda` through a minimal Lambda Runtime API with SQS batches of EventBridge events;
`correlation()` times a scan whose correlation keeps thousands of groups in the table.
"""

import contextlib
import gzip
import http.client
import http.server
import json
import os
import statistics
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOTO = os.path.join(REPO, ".venv", "bin", "moto_server")
TABLE = "trailwatch-bench-state"
DUMMY = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
         "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}


# moto's server on a port the kernel picks, printed once it listens: a port picked free and
# handed on could be taken by another process in between.
MOTO_ON_ANY_PORT = """
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("moto listening on", server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


class Counter:
    """Requests forwarded to moto, by DynamoDB operation (X-Amz-Target) or `other`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, op):
        with self.lock:
            self.counts[op] = self.counts.get(op, 0) + 1

    def dynamodb(self):
        with self.lock:
            return sum(n for op, n in self.counts.items() if op != "other")

    def reset(self):
        with self.lock:
            self.counts = {}


def proxy(upstream, counter):
    class Forward(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, the body waits for the
        # client's delayed ACK (40 ms on Linux), a stall per request that no deployment has.
        disable_nagle_algorithm = True

        def _any(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = self.headers.get("X-Amz-Target", "")
            counter.add(target.split(".")[-1] if target.startswith("DynamoDB") else "other")
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def moto():
    """(endpoint through the counting proxy, Counter, boto3 session env) while moto runs."""
    python = os.path.join(os.path.dirname(MOTO), "python")
    proc = subprocess.Popen([python, "-c", MOTO_ON_ANY_PORT], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline()
        if not line.startswith("moto listening on "):
            raise RuntimeError(f"moto did not start: {line!r}, exit {proc.poll()}")
        port = int(line.split()[-1])
        counter = Counter()
        server = proxy(port, counter)
        os.environ.update(DUMMY)
        import boto3  # the venv's; moto depends on it
        direct = f"http://127.0.0.1:{port}"
        ddb = boto3.client("dynamodb", endpoint_url=direct)
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}])
        sns = boto3.client("sns", endpoint_url=direct)
        topic = sns.create_topic(Name="bench-alerts")["TopicArn"]
        yield f"http://127.0.0.1:{server.server_address[1]}", counter, topic
        server.shutdown()
    finally:
        proc.kill()
        proc.wait()


def alert_file(path, n):
    """A delivery of `n` records, each matching the bench rule below once."""
    records = [{"eventVersion": "1.09", "eventSource": "lightsail.amazonaws.com", "eventName": "BenchAlert",
                "eventID": f"bench-{i:06d}", "eventTime": "2026-11-25T03:05:00Z", "awsRegion": "us-east-1",
                "sourceIPAddress": "198.51.100.7", "recipientAccountId": "123456789012",
                "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/u{i % 50}"}}
               for i in range(n)]
    with gzip.open(path, "wt") as f:
        json.dump({"Records": records}, f)


BENCH_RULE = """title: Bench alert
id: 00000000-0000-4000-8000-00000000be01
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: BenchAlert
  condition: selection
"""


def claim_cost(trailwatch, work, n=2000):
    """Per-alert time the claim adds and DynamoDB requests per alert, with `scan --every-match`."""
    rules = os.path.join(work, "rules", "bench-alert")
    os.makedirs(rules, exist_ok=True)
    with open(os.path.join(rules, "bench.yml"), "w") as f:
        f.write(BENCH_RULE)
    path = os.path.join(work, f"alerts-{n}.json.gz")
    alert_file(path, n)
    base = [trailwatch, "scan", "--every-match", "--format", "json", "--rules", rules, path]
    with moto() as (endpoint, counter, _):
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, **DUMMY)
        t = time.perf_counter()
        subprocess.run(base, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        memory = time.perf_counter() - t
        counter.reset()
        t = time.perf_counter()
        subprocess.run(base + ["--state", f"dynamodb://{TABLE}"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        table = time.perf_counter() - t
        requests = counter.dynamodb()
    return {"alerts": n, "memory_s": memory, "table_s": table, "requests": requests,
            "ms_per_alert": (table - memory) * 1000 / n, "requests_per_alert": requests / n}


def scan_with_state(trailwatch, path, rules):
    """Wall seconds of a scan with the state table in moto."""
    args = [trailwatch, "scan"]
    for r in rules:
        args += ["--rules", r]
    with moto() as (endpoint, counter, _):
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, **DUMMY)
        t = time.perf_counter()
        subprocess.run(args + ["--state", f"dynamodb://{TABLE}", path], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t, counter.dynamodb()


CORRELATION_RULES = """title: Bench correlated call
name: bench_correlated
id: 00000000-0000-4000-8000-0000000c0001
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: BenchCorrelated
  condition: selection
---
title: Bench correlated burst
id: 00000000-0000-4000-8000-0000000c0002
level: medium
correlation:
  type: event_count
  rules: [bench_correlated]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 20
"""


def correlation_rules(work):
    """The bench correlation: 20 `BenchCorrelated` calls by one principal within 10 minutes."""
    path = os.path.join(work, "rules", "bench-correlation")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "burst.yml"), "w") as f:
        f.write(CORRELATION_RULES)
    return path


def correlation(trailwatch, path, rules):
    """Wall seconds, DynamoDB requests by operation, and the correlation alerts of a scan of
    `path` with the state table in moto."""
    args = [trailwatch, "scan", "--format", "json"]
    for r in rules:
        args += ["--rules", r]
    with moto() as (endpoint, counter, _):
        # moto answers a request in milliseconds, DynamoDB in single digits: thousands of
        # groups take minutes here, so the object timeout is lifted for this run.
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, OBJECT_TIMEOUT_SECONDS="3600", **DUMMY)
        t = time.perf_counter()
        out = subprocess.run(args + ["--state", f"dynamodb://{TABLE}", path], env=env, capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - t
        with counter.lock:
            ops = {op: n for op, n in counter.counts.items() if op != "other"}
    alerts = sum(1 for line in out.stdout.splitlines() if line.startswith('{"correlation"'))
    return {"wall_s": wall, "requests": sum(ops.values()), "ops": ops, "alerts": alerts}


def sqs_batches(events, per_batch):
    """SQS batches (as Lambda's event) of EventBridge CloudTrail events made from `events`."""
    batches = []
    for start in range(0, len(events), per_batch):
        records = []
        for i, detail in enumerate(events[start:start + per_batch]):
            body = {"version": "0", "id": f"bench-{start + i}", "detail-type": "AWS API Call via CloudTrail",
                    "source": "aws.lightsail", "account": "123456789012", "time": detail["eventTime"],
                    "region": "us-east-1", "resources": [], "detail": detail}
            records.append({"messageId": f"m-{start + i}", "receiptHandle": "r", "body": json.dumps(body),
                            "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
                            "awsRegion": "us-east-1"})
        batches.append({"Records": records})
    return batches


def realtime(lambda_bin, n=10_000, per_batch=10):
    """Per-event handling time (p50, p99, ms) and events per second per invocation, for `n`
    events in SQS batches of `per_batch`, through a minimal Lambda Runtime API."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    events = [{"eventVersion": "1.09", "eventSource": "lightsail.amazonaws.com",
               "eventName": "RebootInstance" if i % 100 == 0 else "GetInstances",
               "eventID": f"rt-{i:06d}", "eventTime": now, "awsRegion": "us-east-1",
               "sourceIPAddress": "198.51.100.7", "recipientAccountId": "123456789012",
               "userIdentity": {"type": "Root" if i % 100 == 0 else "IAMUser",
                                "arn": "arn:aws:iam::123456789012:root"}}
              for i in range(n)]
    batches = sqs_batches(events, per_batch)
    pending = list(enumerate(batches))
    sent, took, failures = {}, [], []
    done = threading.Event()
    lock = threading.Lock()

    class Api(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as in `proxy`: no delayed-ACK stall per reply

        def reply(self, code, body=b"", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            with lock:
                item = pending.pop(0) if pending else None
            if item is None:
                done.set()
                time.sleep(30)
                return self.reply(503)
            i, batch = item
            body = json.dumps(batch).encode()
            deadline = str(int((time.time() + 300) * 1000))
            sent[str(i)] = time.perf_counter()
            self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", str(i)),
                                   ("Lambda-Runtime-Deadline-Ms", deadline),
                                   ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:b"),
                                   ("Content-Type", "application/json")])

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request_id = self.path.split("/")[-2]
            with lock:
                took.append(time.perf_counter() - sent[request_id])
                if b"itemIdentifier" in body or self.path.endswith("/error"):
                    failures.append(request_id)
            self.reply(202)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with moto() as (endpoint, counter, topic):
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
                   AWS_ENDPOINT_URL=endpoint, ALERT_TOPIC_ARN=topic, STATE_TABLE=TABLE,
                   AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
                   AWS_LAMBDA_FUNCTION_VERSION="$LATEST", AWS_LAMBDA_LOG_STREAM_NAME="b",
                   AWS_LAMBDA_LOG_GROUP_NAME="b", RUST_LOG="warn", **DUMMY)
        proc = subprocess.Popen([lambda_bin], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        done.wait(900)
        wall = time.perf_counter() - started
        proc.kill()
        proc.wait()
        requests = counter.dynamodb()
    server.shutdown()
    per_event = sorted(t * 1000 / per_batch for t in took)
    p = lambda q: per_event[min(len(per_event) - 1, int(q * len(per_event)))]  # noqa: E731
    return {"events": len(took) * per_batch, "p50_ms": p(0.50), "p99_ms": p(0.99),
            "events_per_s": per_batch / statistics.median(took), "wall_s": wall,
            "failures": len(failures), "requests": requests}
