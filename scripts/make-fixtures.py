#!/usr/bin/env python3
"""Writes the synthetic CloudTrail delivery in events/trail/ and the S3 notification that points at it.

Everything here is made up but shaped like real CloudTrail and S3 payloads. Output is
deterministic (fixed timestamps, gzip mtime 0), so re-running it changes nothing:

    python3 scripts/make-fixtures.py
"""
import gzip
import hashlib
import json
import pathlib
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "trailwatch-demo-trail"
# The key as CloudTrail writes it; the trail name has a space, so S3 notifications carry it as '+'.
KEY = (f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/11/25/"
       f"{ACCOUNT}_CloudTrail_{REGION}_20261125T1005Z_demo trail.json.gz")

# The one record the bundled rule lightsail/root-reboot-instance must alert on.
ROOT_REBOOT_EVENT_ID = "b0070000-0000-4000-8000-000000000007"

TLS = {
    "tlsVersion": "TLSv1.3",
    "cipherSuite": "TLS_AES_128_GCM_SHA256",
    "clientProvidedHostHeader": f"lightsail.{REGION}.amazonaws.com",
}

ROOT_IDENTITY = {
    "type": "Root",
    "principalId": ACCOUNT,
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAEXAMPLEROOT00001",
    "sessionContext": {
        "sessionIssuer": {},
        "webIdFederationData": {},
        "attributes": {"creationDate": "2026-11-25T09:58:12Z", "mfaAuthenticated": "true"},
    },
}

USER_IDENTITY = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEOPS000001",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/ops-alice",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLEOPS000001",
    "userName": "ops-alice",
}

CONSOLE_UA = ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0")
CLI_UA = "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#lightsail.reboot-instance"


def record(time, name, identity, ip, agent, request_id, event_id, read_only, params=None, response=None):
    return {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": time,
        "eventSource": "lightsail.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": params,
        "responseElements": response,
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": TLS,
    }


def reboot_response(op_id, time):
    return {"operations": [{
        "id": op_id,
        "resourceName": "web-1",
        "resourceType": "Instance",
        "createdAt": time,
        "location": {"availabilityZone": f"{REGION}a", "regionName": REGION},
        "isTerminal": False,
        "operationType": "RebootInstance",
        "status": "Started",
        "statusChangedAt": time,
    }]}


RECORDS = [
    record("2026-11-25T10:01:07Z", "GetRegions", USER_IDENTITY, "198.51.100.23", CLI_UA,
           "3c1e9a52-7f0d-4c2b-9a41-6e0f5d2b7a10", "9d4f6a1e-2b3c-4d5e-8f70-1a2b3c4d5e01", True,
           {"includeAvailabilityZones": False}),
    record("2026-11-25T10:01:42Z", "GetInstances", ROOT_IDENTITY, "203.0.113.77", CONSOLE_UA,
           "5a7b9c1d-3e5f-4a6b-8c0d-2e4f6a8b0c12", "9d4f6a1e-2b3c-4d5e-8f70-1a2b3c4d5e02", True),
    record("2026-11-25T10:02:15Z", "RebootInstance", ROOT_IDENTITY, "203.0.113.77", CONSOLE_UA,
           "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", ROOT_REBOOT_EVENT_ID, False,
           {"instanceName": "web-1"},
           reboot_response("0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b", "2026-11-25T10:02:15Z")),
    record("2026-11-25T10:03:30Z", "GetBuckets", USER_IDENTITY, "198.51.100.23", CLI_UA,
           "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "9d4f6a1e-2b3c-4d5e-8f70-1a2b3c4d5e04", True,
           {"includeConnectedResources": False}),
    record("2026-11-25T10:04:51Z", "RebootInstance", USER_IDENTITY, "198.51.100.23", CLI_UA,
           "2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182", "9d4f6a1e-2b3c-4d5e-8f70-1a2b3c4d5e05", False,
           {"instanceName": "web-2"},
           reboot_response("1a2b3c4d-5e6f-4708-9a1b-2c3d4e5f6a7b", "2026-11-25T10:04:51Z")),
]


def main():
    plain = (json.dumps({"Records": RECORDS}, indent=2) + "\n").encode()
    packed = gzip.compress(plain, compresslevel=9, mtime=0)
    (EVENTS / "trail").mkdir(parents=True, exist_ok=True)
    (EVENTS / "trail" / "demo-trail.json").write_bytes(plain)
    (EVENTS / "trail" / "demo-trail.json.gz").write_bytes(packed)

    notification = {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-11-25T10:05:33.412Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLECLOUDTRAIL:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "10.12.34.56"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "trailwatch-cloudtrail-delivery",
            "bucket": {
                "name": BUCKET,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{BUCKET}",
            },
            "object": {
                "key": urllib.parse.quote_plus(KEY, safe="/"),
                "size": len(packed),
                "eTag": hashlib.md5(packed).hexdigest(),
                "sequencer": "0067443A1D5E3F2B1C",
            },
        },
    }]}
    (EVENTS / "s3-put.json").write_text(json.dumps(notification, indent=2) + "\n")


if __name__ == "__main__":
    main()
