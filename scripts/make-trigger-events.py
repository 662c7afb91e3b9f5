#!/usr/bin/env python3
"""Writes events/*.json: one sample payload per trigger shape trailwatch accepts.

`events/s3-put.json` itself comes from scripts/make-fixtures.py, with the demo trail file.
Every payload names objects in the demo bucket, so each can be sent with
`cargo lambda invoke trailwatch-lambda --data-file events/<name>.json` after `make demo`'s set-up.
"""
import json
import pathlib

BUCKET = "trailwatch-demo-trail"
ACCOUNT = "123456789012"
PREFIX = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/25/{ACCOUNT}_CloudTrail_us-east-1_"
GOOD = PREFIX + "20261125T1005Z_demo trail.json.gz"  # the key as stored
GOOD_ENCODED = PREFIX + "20261125T1005Z_demo+trail.json.gz"  # as S3 notifications spell it
CORRUPT = PREFIX + "20261125T1010Z_corrupt.json.gz"
MISSING = PREFIX + "20261125T1015Z_missing.json.gz"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:trail-deliveries"
OUT = pathlib.Path(__file__).resolve().parent.parent / "events"


def s3_notification(key_encoded):
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-25T10:05:31.000Z", "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLEROLEID:regionalDeliverySession"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "trailwatch",
               "bucket": {"name": BUCKET, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                          "arn": f"arn:aws:s3:::{BUCKET}"},
               "object": {"key": key_encoded, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                          "sequencer": "0055AED6DCD90281E5"}}}]}


def sns_envelope(message, message_id):
    return {"Type": "Notification", "MessageId": message_id, "TopicArn": TOPIC,
            "Subject": "Amazon S3 Notification", "Message": json.dumps(message),
            "Timestamp": "2026-11-25T10:05:32.000Z", "SignatureVersion": "1",
            "Signature": "EXAMPLE", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}


def sns_event(message):
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": TOPIC + ":2f1c5e9e-0000-4000-8000-000000000001",
        "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": TOPIC, "Subject": None, "Message": json.dumps(message),
                "Timestamp": "2026-11-25T10:05:32.000Z", "SignatureVersion": "1",
                "Signature": "EXAMPLE", "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {}}}]}


def sqs_message(n, body):
    return {"messageId": f"0000000{n}-1111-4222-8333-44445555666{n}",
            "receiptHandle": f"AQEBexample{n}", "body": json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795600000000",
                           "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1795600000001"},
            "messageAttributes": {}, "md5OfBody": "00000000000000000000000000000000",
            "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:trailwatch-deliveries",
            "awsRegion": "us-east-1"}


def eventbridge(key):
    return {"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
            "source": "aws.s3", "account": ACCOUNT, "time": "2026-11-25T10:05:31Z", "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{BUCKET}"],
            "detail": {"version": "0", "bucket": {"name": BUCKET},
                       "object": {"key": key, "size": 1024, "etag": "d41d8cd98f00b204e9800998ecf8427e",
                                  "sequencer": "0055AED6DCD90281E5"},
                       "request-id": "N4N7GDK58NMKJ12R", "requester": "cloudtrail.amazonaws.com",
                       "source-ip-address": "203.0.113.10", "reason": "PutObject"}}


def batch(version):
    def task(n, key):
        t = {"taskId": f"dGFza{n}", "s3Key": key.replace(" ", "+"), "s3VersionId": None}
        if version == "1.0":
            t["s3BucketArn"] = f"arn:aws:s3:::{BUCKET}"
        else:
            t["s3Bucket"] = BUCKET
        return t
    job = {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"}
    if version == "2.0":
        job["userArguments"] = {}
    return {"invocationSchemaVersion": version,
            "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
            "job": job, "tasks": [task(1, GOOD), task(2, CORRUPT)]}


CLOUDTRAIL_SNS = {"s3Bucket": BUCKET, "s3ObjectKey": [GOOD]}

# The demo delivery's records (scripts/make-fixtures.py); the root reboot is the one that alerts.
DEMO = json.loads((OUT / "trail" / "demo-trail.json").read_text())["Records"]
ROOT_REBOOT = next(r for r in DEMO if r["eventID"] == "b0070000-0000-4000-8000-000000000007")


def cloudtrail_record(name, source, event_type, event_id, extra=None):
    """A CloudTrail record of `eventType` (AwsApiCall, AwsConsoleSignIn, ...), made up."""
    record = {
        "eventVersion": "1.09", "eventTime": "2026-11-25T10:04:10Z", "eventSource": source,
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.77",
        "userAgent": "Mozilla/5.0", "eventID": event_id, "eventType": event_type,
        "recipientAccountId": ACCOUNT, "readOnly": False, "managementEvent": True,
        "eventCategory": "Management",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001",
                         "arn": f"arn:aws:iam::{ACCOUNT}:user/ops-alice", "accountId": ACCOUNT,
                         "userName": "ops-alice"},
    }
    record.update(extra or {})
    return record


def cloudtrail_event(detail_type, detail, n=1):
    """A CloudTrail record as EventBridge carries it on the default bus."""
    return {"version": "0", "id": f"c1a0d7e2-0000-4000-8000-{n:012d}", "detail-type": detail_type,
            "source": "aws." + detail["eventSource"].split(".")[0], "account": ACCOUNT,
            "time": detail["eventTime"], "region": detail["awsRegion"], "resources": [],
            "detail": detail}


SIGN_IN = cloudtrail_record("ConsoleLogin", "signin.amazonaws.com", "AwsConsoleSignIn",
                            "c0501000-0000-4000-8000-000000000001",
                            {"userIdentity": {"type": "Root", "principalId": ACCOUNT,
                                              "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
                             "responseElements": {"ConsoleLogin": "Success"},
                             "additionalEventData": {"MFAUsed": "No", "MobileVersion": "No"}})
CONSOLE_ACTION = cloudtrail_record("ListInstances", "lightsail.amazonaws.com", "AwsConsoleAction",
                                   "c0a50000-0000-4000-8000-000000000001")
SERVICE_EVENT = cloudtrail_record("InstanceStateChanged", "lightsail.amazonaws.com", "AwsServiceEvent",
                                  "c05e0000-0000-4000-8000-000000000001",
                                  {"userIdentity": {"type": "AWSService", "invokedBy": "lightsail.amazonaws.com"}})
INSIGHT = cloudtrail_record("RebootInstance", "lightsail.amazonaws.com", "AwsCloudTrailInsight",
                            "c0100000-0000-4000-8000-000000000001",
                            {"insightDetails": {"state": "Start", "eventSource": "lightsail.amazonaws.com",
                                                "eventName": "RebootInstance", "insightType": "ApiCallRateInsight"}})
# Ten events for one SQS batch: the root reboot, the others, and one whose detail is no record.
BATCH_EVENTS = [cloudtrail_event("AWS API Call via CloudTrail", ROOT_REBOOT, 1)]
BATCH_EVENTS += [cloudtrail_event("AWS API Call via CloudTrail", r, i + 2) for i, r in enumerate(
    r for r in DEMO if r is not ROOT_REBOOT)]
BATCH_EVENTS += [cloudtrail_event("AWS Console Sign In via CloudTrail", SIGN_IN, 6),
                 cloudtrail_event("AWS Console Action via CloudTrail", CONSOLE_ACTION, 7),
                 cloudtrail_event("AWS Service Event via CloudTrail", SERVICE_EVENT, 8),
                 cloudtrail_event("AWS Insight via CloudTrail", INSIGHT, 9)]
MALFORMED = cloudtrail_event("AWS API Call via CloudTrail", dict(ROOT_REBOOT), 10)
MALFORMED["detail"] = {"note": "not a CloudTrail record"}
BATCH_EVENTS.append(MALFORMED)

EVENTS = {
    "s3-test-event.json": {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-25T10:00:00.000Z",
                           "Bucket": BUCKET, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"},
    "sns-s3.json": sns_event(s3_notification(GOOD_ENCODED)),
    "sns-cloudtrail.json": sns_event(CLOUDTRAIL_SNS),
    "sqs-s3.json": {"Records": [sqs_message(1, s3_notification(GOOD_ENCODED))]},
    "sqs-sns-s3.json": {"Records": [sqs_message(1, sns_envelope(s3_notification(GOOD_ENCODED), "a1"))]},
    "sqs-batch-missing.json": {"Records": [
        sqs_message(1, s3_notification(GOOD_ENCODED)),
        sqs_message(2, s3_notification(MISSING)),
        sqs_message(3, sns_envelope(CLOUDTRAIL_SNS, "a3"))]},
    "eventbridge-object-created.json": eventbridge(GOOD),
    "batch-1.0.json": batch("1.0"),
    "batch-2.0.json": batch("2.0"),
    "eventbridge-cloudtrail-api-call.json": cloudtrail_event("AWS API Call via CloudTrail", ROOT_REBOOT),
    "eventbridge-cloudtrail-console-sign-in.json": cloudtrail_event("AWS Console Sign In via CloudTrail", SIGN_IN),
    "eventbridge-cloudtrail-console-action.json": cloudtrail_event("AWS Console Action via CloudTrail", CONSOLE_ACTION),
    "eventbridge-cloudtrail-service-event.json": cloudtrail_event("AWS Service Event via CloudTrail", SERVICE_EVENT),
    "eventbridge-cloudtrail-insight.json": cloudtrail_event("AWS Insight via CloudTrail", INSIGHT),
    "sqs-eventbridge-cloudtrail.json": {"Records": [sqs_message(n % 10, e) for n, e in enumerate(BATCH_EVENTS, 1)]},
}

for name, payload in EVENTS.items():
    (OUT / name).write_text(json.dumps(payload, indent=2) + "\n")
    print("wrote events/" + name)
