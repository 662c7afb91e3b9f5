#!/usr/bin/env python3
"""Writes catalog/cloudtrail-events.gz: every eventName CloudTrail can write, by eventSource.

`trailwatch rules lint` checks a rule's `eventSource`/`eventName` values against it. The
names come from botocore's service models at the version pinned in requirements-dev.txt
(every API version of every service, older ones too: CloudTrail keeps logging a name an
older API version had), plus catalog/extra-events.txt, the names CloudTrail writes without
an API operation (console sign-in, S3's bucket-level names, ...), each group with the AWS
page that lists it.

A service's `eventSource` is its `metadata.endpointPrefix` + `.amazonaws.com`, except:
- a prefix with a dot (`api.ecr`, `runtime.sagemaker`, `streams.dynamodb`) is a sub-endpoint
  of a service that CloudTrail logs under the service's signing name (`ecr`, `sagemaker`,
  `dynamodb`);
- the services in EXCEPTIONS below, whose CloudTrail eventSource is neither.

Output: gzip of text lines, `#` lines first (version, counts), then one line per eventSource,
sorted: `source.amazonaws.com Name1 Name2 ...` (names sorted, deduplicated), then one line per
API name CloudTrail logs under another name: `> source.amazonaws.com ApiName LoggedName`. Deterministic:
the gzip header carries no time or file name, so regenerating at the same pin gives the same
bytes.

Usage: .venv/bin/python scripts/cloudtrail-catalog.py [--check]
  --check   exit 1 when the committed file differs from what would be written
"""
import gzip
import io
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "catalog", "cloudtrail-events.gz")
EXTRAS = os.path.join(ROOT, "catalog", "extra-events.txt")

# endpointPrefix -> the eventSource CloudTrail writes for that service's calls.
# Each is documented in catalog/README.md with the AWS page that shows it.
EXCEPTIONS = {
    # SES v1 and v2 are served from email.<region>.amazonaws.com but logged as ses.
    "email": "ses.amazonaws.com",
    # S3 Control (access points, Batch Operations, account public access block) is logged as s3.
    "s3-control": "s3.amazonaws.com",
    # IAM Identity Center: the portal (sso), OIDC (oidc) and admin (sso) APIs are all sso.
    "portal.sso": "sso.amazonaws.com",
    "oidc": "sso.amazonaws.com",
    # Bedrock's runtime and agent endpoints are logged as bedrock.
    "bedrock-runtime": "bedrock.amazonaws.com",
    "bedrock-agent": "bedrock.amazonaws.com",
    "bedrock-agent-runtime": "bedrock.amazonaws.com",
}


def botocore_data():
    import botocore

    return botocore.__version__, os.path.join(os.path.dirname(botocore.__file__), "data")


def load_model(path):
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def event_source(meta):
    prefix = meta.get("endpointPrefix", "")
    if prefix in EXCEPTIONS:
        return EXCEPTIONS[prefix]
    if "." in prefix:
        prefix = meta.get("signingName") or prefix.split(".")[-1]
    return f"{prefix}.amazonaws.com"


def read_extras(catalog, renames):
    """`source Name ...` lines; `Api=Logged` replaces an API name CloudTrail never writes by the
    name it writes. `#` lines cite the AWS page for the group below them."""
    count = 0
    with open(EXTRAS, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            source, *names = line.split()
            ops = catalog.setdefault(source, set())
            for name in names:
                api, _, logged = name.partition("=")
                if logged:
                    ops.discard(api)
                    renames.append((source, api, logged))
                ops.add(logged or api)
                count += 1
    return count


def build():
    version, data = botocore_data()
    catalog = {}
    models = 0
    for service in sorted(os.listdir(data)):
        sdir = os.path.join(data, service)
        if not os.path.isdir(sdir):
            continue
        for api in sorted(os.listdir(sdir)):
            for name in ("service-2.json", "service-2.json.gz"):
                path = os.path.join(sdir, api, name)
                if os.path.isfile(path):
                    model = load_model(path)
                    models += 1
                    src = event_source(model.get("metadata", {}))
                    catalog.setdefault(src, set()).update(model.get("operations", {}))
    renames = []
    extras = read_extras(catalog, renames)
    names = sum(len(v) for v in catalog.values())
    lines = [
        f"# botocore {version}: {models} service models, {len(catalog)} event sources, "
        f"{names} event names ({extras} from extra-events.txt)",
    ]
    lines += [" ".join([src, *sorted(ops)]) for src, ops in sorted(catalog.items())]
    lines += [f"> {src} {api} {logged}" for src, api, logged in sorted(renames)]
    text = ("\n".join(lines) + "\n").encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text)
    return buf.getvalue(), lines[0], len(text)


def main():
    blob, head, raw = build()
    if "--check" in sys.argv[1:]:
        with open(OUT, "rb") as f:
            same = f.read() == blob
        print(("up to date: " if same else "OUT OF DATE: ") + head)
        return 0 if same else 1
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(blob)
    print(f"{os.path.relpath(OUT, ROOT)}: {len(blob)} bytes gzipped ({raw} raw); {head[2:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
