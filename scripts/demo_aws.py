#!/usr/bin/env python3
"""The AWS side of `make demo`, with boto3 against the moto server in AWS_ENDPOINT_URL.

    demo_aws.py setup             bucket + delivery upload, topic, raw-delivery queue, state
                                  table; prints `TOPIC_ARN=...`, `QUEUE_URL=...` and
                                  `STATE_TABLE=...` lines for the shell
    demo_aws.py alerts QUEUE_URL  prints what reached the subscriber queue, readably
    demo_aws.py realtime FILE     prints the counts of a summary the function returned
    demo_aws.py enrich DIR        writes the demo's ASN and country databases into DIR and
                                  prints the ENRICH_* variables for the shell
"""
import json
import pathlib
import sys
import urllib.parse

import boto3

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import mmdb  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENT = ROOT / "events" / "s3-put.json"
DELIVERY = ROOT / "events" / "trail" / "demo-trail.json.gz"


def setup():
    record = json.loads(EVENT.read_text())["Records"][0]["s3"]
    bucket = record["bucket"]["name"]
    # S3 notifications carry the key form-encoded: '+' is a space.
    key = urllib.parse.unquote_plus(record["object"]["key"])

    s3, sns, sqs = (boto3.client(name) for name in ("s3", "sns", "sqs"))
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=DELIVERY.read_bytes())
    print(f"    uploaded s3://{bucket}/{key}", file=sys.stderr)

    topic_arn = sns.create_topic(Name="trailwatch-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="trailwatch-alerts-subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    print(f"    topic {topic_arn} -> queue {queue_arn} (raw delivery)", file=sys.stderr)
    table = "trailwatch-state"
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    print(f"    state table {table} (TTL on expires_at)", file=sys.stderr)
    print(f"TOPIC_ARN={topic_arn}")
    print(f"QUEUE_URL={queue_url}")
    print(f"STATE_TABLE={table}")


def enrich(directory):
    """The demo's enrichment data: its own accounts file and ip-ranges excerpt (events/enrich/),
    and two small MaxMind DB files for the documentation addresses the demo trail uses."""
    d = pathlib.Path(directory)
    mmdb.write(d / "asn.mmdb", "GeoLite2-ASN", [
        ("203.0.113.0/24", {"autonomous_system_number": 64500, "autonomous_system_organization": "ExampleNet"}),
        ("198.51.100.0/24", {"autonomous_system_number": 64501, "autonomous_system_organization": "Office ISP"}),
    ])
    mmdb.write(d / "country.mmdb", "GeoLite2-Country", [
        ("203.0.113.0/24", {"country": {"iso_code": "NL"}}),
        ("198.51.100.0/24", {"country": {"iso_code": "DE"}}),
    ])
    print(f"ENRICH_ACCOUNTS={ROOT / 'events' / 'enrich' / 'accounts.csv'}")
    print(f"ENRICH_IP_RANGES={ROOT / 'events' / 'enrich' / 'ip-ranges.json'}")
    print(f"ENRICH_ASN_DB={d / 'asn.mmdb'}")
    print(f"ENRICH_COUNTRY_DB={d / 'country.mmdb'}")


def realtime(path):
    s = json.loads(pathlib.Path(path).read_text())
    print(f"    events {s['events']}, alerts sent {s['alerts']}, "
          f"already alerted through the other path {s['already_alerted']}")


def who(identity):
    kind = identity.get("type", "?")
    name = identity.get("userName") or identity.get("arn") or identity.get("principalId", "?")
    return f"{kind} {name}"


def alerts(queue_url):
    sqs = boto3.client("sqs")
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=1).get("Messages", [])
        if not batch:
            break
        for m in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        messages.extend(batch)

    print(f"{len(messages)} alert(s) reached the subscriber queue")
    for m in messages:
        try:
            alert = json.loads(m["Body"])
        except json.JSONDecodeError:
            print(f"\n  (not JSON) {m['Body']}")
            continue
        rule, event, source = alert.get("rule", {}), alert.get("event", {}), alert.get("source", {})
        where = (f"s3://{source['bucket']}/{source['key']}" if "bucket" in source
                 else f"EventBridge {source['detail-type']} {source['id']}" if "id" in source
                 else source.get("path", "?"))
        params = event.get("requestParameters") or {}
        print()
        print(f"  [{str(rule.get('level', '?')).upper()}] {rule.get('title', '?')}")
        print(f"    rule    {rule.get('id', '?')}  {' '.join(rule.get('tags', []))}")
        print(f"    what    {event.get('eventName')} on {event.get('eventSource')}"
              + (f"  {json.dumps(params)}" if params else ""))
        enriched = alert.get("enrichment", {})
        actor, src = enriched.get("actor", {}), enriched.get("source", {})
        network = ", ".join(x for x in (f"AS{src['asn']} {src.get('as_org', '')}".strip() if "asn" in src else "",
                                        src.get("country", "")) if x)
        account = event.get("recipientAccountId")
        if enriched.get("account", {}).get("name"):
            account = f"{enriched['account']['name']} ({account})"
        print(f"    who     {who(event.get('userIdentity', {}))}"
              + (f"  (actor {actor['name']}, {actor.get('kind')})" if actor.get("name") else ""))
        print(f"    from    {event.get('sourceIPAddress')}" + (f" ({network})" if network else "")
              + f"  ({event.get('userAgent', '')[:60]})")
        print(f"    when    {event.get('eventTime')}  in {event.get('awsRegion')}, account {account}")
        print(f"    eventID {event.get('eventID')}")
        print(f"    object  {where}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["setup"]:
        setup()
    elif sys.argv[1:2] == ["alerts"] and len(sys.argv) == 3:
        alerts(sys.argv[2])
    elif sys.argv[1:2] == ["enrich"] and len(sys.argv) == 3:
        enrich(sys.argv[2])
    elif sys.argv[1:2] == ["realtime"] and len(sys.argv) == 3:
        realtime(sys.argv[2])
    else:
        sys.exit(__doc__)
