//! Every trigger's failure contract, with in-memory seams (no moto): what Lambda is told when
//! an object is missing, corrupt, throttled, or its alerts cannot be delivered.

use std::io::Write;
use std::sync::Arc;

use flate2::write::GzEncoder;
use serde_json::{json, Value};
use trailwatch::config::Settings;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{MemoryFetch, Stored};
use trailwatch::handler::{Handler, HandlerError, RetryableObjects};
use trailwatch::rules::RuleSet;
use trailwatch::rules_source::RuleStore;
use trailwatch::ObjectRef;

const BUCKET: &str = "trail";

fn key(name: &str) -> String {
    format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1005Z_{name}.json.gz")
}

fn object(name: &str) -> ObjectRef {
    ObjectRef::S3 {
        bucket: BUCKET.into(),
        key: key(name),
    }
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn delivery(id: &str) -> Vec<u8> {
    gzip(&format!(
        r#"{{"Records":[{{"eventName":"Hit","eventID":"{id}","eventTime":"2026-11-25T10:00:00Z"}}]}}"#
    ))
}

struct World {
    fetch: Arc<MemoryFetch>,
    deliver: Arc<MemoryDeliver>,
    handler: Handler,
}

/// `good`, `good2`: one alert each; `missing`: absent; `corrupt`: not gzip; `slow`: throttled.
fn world() -> World {
    let rule = "title: Hit\nid: 00000000-0000-4000-8000-000000000001\nlevel: high\n\
                logsource: {product: aws, service: cloudtrail}\n\
                detection:\n  sel:\n    eventName: Hit\n  condition: sel\n";
    let rules = Arc::new(RuleSet::from_sources(&[("hit.yml".into(), rule.into())]).unwrap());
    let fetch = Arc::new(MemoryFetch::new());
    fetch.put(&object("good"), delivery("e-good"));
    fetch.put(&object("good2"), delivery("e-good2"));
    fetch.put(&object("corrupt"), b"\x1f\x8bnot really gzip".to_vec());
    fetch.set(
        &object("slow"),
        Stored::Retryable("SlowDown (HTTP 503)".into()),
    );
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new(
        "arn:aws:sns:us-east-1:123456789012:alerts",
        Arc::clone(&rules),
    );
    let handler = Handler::new(
        fetch.clone(),
        deliver.clone(),
        RuleStore::fixed(rules),
        &settings,
    );
    World {
        fetch,
        deliver,
        handler,
    }
}

fn s3_record(name: &str) -> Value {
    json!({"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "awsRegion": "us-east-1",
           "s3": {"bucket": {"name": BUCKET}, "object": {"key": key(name), "size": 10}}})
}

fn s3_event(names: &[&str]) -> Value {
    json!({"Records": names.iter().map(|n| s3_record(n)).collect::<Vec<_>>()})
}

/// `inner` as the `Message` of the SNS notification in `events/sns-s3.json`.
fn sns_of(inner: &Value) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/events/sns-s3.json");
    let text = std::fs::read_to_string(path).expect("events/sns-s3.json");
    let mut event: Value = serde_json::from_str(&text).expect("JSON");
    event["Records"][0]["Sns"]["Message"] = inner.to_string().into();
    event
}

fn sqs_of(bodies: &[(&str, String)]) -> Value {
    json!({"Records": bodies.iter().map(|(id, body)| json!({
        "messageId": id, "receiptHandle": "r", "body": body, "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "us-east-1", "attributes": {},
        "messageAttributes": {}})).collect::<Vec<_>>()})
}

fn eventbridge(name: &str) -> Value {
    json!({"version": "0", "id": "e1", "detail-type": "Object Created", "source": "aws.s3",
           "account": "123456789012", "time": "2026-11-25T10:05:31Z", "region": "us-east-1",
           "resources": [], "detail": {"bucket": {"name": BUCKET}, "object": {"key": key(name)}}})
}

fn batch(names: &[&str]) -> Value {
    json!({"invocationSchemaVersion": "2.0", "invocationId": "inv", "job": {"id": "j"},
           "tasks": names.iter().map(|n| json!({"taskId": format!("t-{n}"), "s3Key": key(n),
           "s3VersionId": null, "s3Bucket": BUCKET})).collect::<Vec<_>>()})
}

/// The eventIDs delivered, sorted (objects run concurrently).
fn alerted(w: &World) -> Vec<String> {
    let mut ids: Vec<String> = w
        .deliver
        .messages()
        .into_iter()
        .filter_map(|m| m.event_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn s3_direct_fails_the_invocation_only_for_retryable_objects() {
    let w = world();
    let ok = w
        .handler
        .handle(s3_event(&["good", "missing", "corrupt"]))
        .await;
    let summary = ok
        .expect("permanent failures do not fail the invocation")
        .summary;
    assert_eq!(summary.failed.len(), 2);
    assert!(summary.failed.iter().all(|f| !f.retryable));
    assert_eq!(alerted(&w), ["e-good"]);

    let err = w.handler.handle(s3_event(&["good2", "slow"])).await;
    assert!(
        matches!(err, Err(HandlerError::Retryable { count: 1, .. })),
        "{err:?}"
    );
    assert_eq!(
        alerted(&w),
        ["e-good", "e-good2"],
        "the good object still alerted"
    );
}

#[tokio::test]
async fn sns_and_eventbridge_direct_follow_the_same_contract() {
    let w = world();
    assert!(w.handler.handle(sns_of(&s3_event(&["good"]))).await.is_ok());
    assert!(matches!(
        w.handler.handle(sns_of(&s3_event(&["slow"]))).await,
        Err(HandlerError::Retryable { .. })
    ));
    assert!(w.handler.handle(eventbridge("good2")).await.is_ok());
    assert!(matches!(
        w.handler.handle(eventbridge("slow")).await,
        Err(HandlerError::Retryable { .. })
    ));
    assert_eq!(alerted(&w), ["e-good", "e-good2"]);
}

#[tokio::test]
async fn a_failed_delivery_makes_the_object_retryable() {
    let w = world();
    w.deliver.fail_after(0);
    let err = w.handler.handle(s3_event(&["good"])).await;
    match err {
        Err(e @ HandlerError::Retryable { .. }) => {
            let message = e.to_string();
            assert!(message.contains("not delivered"), "{message}");
            // The per-object errors travel typed, as the error's source.
            let failed = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<RetryableObjects>())
                .expect("the retryable objects as the source");
            assert_eq!(failed.0.len(), 1, "{message}");
            assert!(failed.0[0].error.contains("not delivered"), "{message}");
            assert!(failed.0[0].retryable);
        }
        other => panic!("expected a retryable failure, got {other:?}"),
    }
    w.deliver.heal();
    assert!(w.handler.handle(s3_event(&["good"])).await.is_ok());
    assert_eq!(alerted(&w), ["e-good"]);
}

#[tokio::test]
async fn sqs_names_exactly_the_failed_messages() {
    let w = world();
    let payload = sqs_of(&[
        ("m-good", s3_event(&["good"]).to_string()),
        ("m-slow", s3_event(&["slow"]).to_string()),
        ("m-missing", s3_event(&["missing"]).to_string()),
        ("m-junk", "not json".into()),
        (
            "m-sns",
            json!({"Type": "Notification", "MessageId": "a1",
            "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": s3_event(&["good2"]).to_string()})
            .to_string(),
        ),
    ]);
    let response = w
        .handler
        .handle(payload)
        .await
        .expect("SQS batches never fail whole");
    let wire = serde_json::to_value(&response).unwrap();
    let ids: Vec<&str> = wire["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-slow", "m-missing", "m-junk"]);
    assert_eq!(alerted(&w), ["e-good", "e-good2"]);
}

#[tokio::test]
async fn batch_operations_tasks_get_their_own_result_codes() {
    let w = world();
    w.fetch.put(&object("late"), delivery("e-late"));
    let response = w
        .handler
        .handle(batch(&["good", "missing", "slow", "late"]))
        .await
        .expect("batch jobs never fail whole");
    let wire = serde_json::to_value(&response).unwrap();
    let codes: Vec<(&str, &str)> = wire["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["taskId"].as_str().unwrap(),
                r["resultCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("t-good", "Succeeded"),
            ("t-missing", "PermanentFailure"),
            ("t-slow", "TemporaryFailure"),
            ("t-late", "Succeeded")
        ]
    );
    assert_eq!(alerted(&w), ["e-good", "e-late"]);
}

#[tokio::test]
async fn an_unknown_payload_is_an_error_that_says_so() {
    let w = world();
    let err = w.handler.handle(json!({"hello": "world"})).await;
    assert!(matches!(err, Err(HandlerError::Trigger(_))), "{err:?}");
}

#[tokio::test]
async fn one_object_named_twice_in_a_batch_alerts_once_and_both_messages_succeed() {
    let w = world();
    let payload = sqs_of(&[
        ("m-1", s3_event(&["good"]).to_string()),
        ("m-2", s3_event(&["good"]).to_string()),
    ]);
    let response = w.handler.handle(payload).await.expect("handled");
    assert!(
        response.batch_item_failures().is_empty(),
        "{:?}",
        response.summary
    );
    assert_eq!(response.summary.already_alerted, 1);
    let tally = &response.summary.rules["00000000-0000-4000-8000-000000000001"];
    assert_eq!(
        (tally.matches, tally.alerted),
        (2, 1),
        "delivered, not planned"
    );
    assert_eq!(alerted(&w), ["e-good"]);
}

/// A root `RebootInstance` whose `requestParameters` nest `depth` levels deep.
fn deep_reboot(id: &str, depth: usize) -> String {
    format!(
        r#"{{"userIdentity":{{"type":"Root","arn":"arn:aws:iam::123456789012:root"}},
        "eventTime":"2026-11-25T10:02:11Z","eventSource":"lightsail.amazonaws.com",
        "eventName":"RebootInstance","awsRegion":"us-east-1","eventID":"{id}",
        "requestParameters":{}1{}}}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    )
}

#[tokio::test]
async fn a_record_nested_100000_deep_alerts_in_the_lambda_and_one_it_cannot_judge_is_counted() {
    let reboot = std::fs::read_to_string("rules/lightsail/root-reboot-instance.yml").unwrap();
    let rules = RuleSet::from_sources(&[("reboot.yml".into(), reboot)]).unwrap();
    let rules = Arc::new(rules);
    let fetch = Arc::new(MemoryFetch::new());
    let deep = format!(
        r#"{{"Records":[{},{{"eventID":"e-cannot-judge","eventSource":{}{}}}]}}"#,
        deep_reboot("e-deep", 100_000),
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    fetch.put(&object("deep"), gzip(&deep));
    fetch.put(
        &object("good"),
        gzip(&format!(r#"{{"Records":[{}]}}"#, deep_reboot("e-good", 3))),
    );
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new(
        "arn:aws:sns:us-east-1:123456789012:alerts",
        Arc::clone(&rules),
    );
    let handler = Handler::new(fetch, deliver.clone(), RuleStore::fixed(rules), &settings);
    let response = handler
        .handle(s3_event(&["deep", "good"]))
        .await
        .expect("handled");
    let summary = &response.summary;
    assert!(summary.failed.is_empty(), "{summary:?}");
    assert_eq!((summary.events, summary.records_unreadable), (3, 1));
    let mut ids: Vec<String> = deliver
        .messages()
        .into_iter()
        .filter_map(|m| m.event_id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["e-deep", "e-good"]);
    let body = deliver
        .messages()
        .into_iter()
        .find(|m| m.event_id.as_deref() == Some("e-deep"))
        .map(|m| m.body)
        .unwrap();
    assert!(
        body.contains(trailwatch::decode::DEEP_MARKER),
        "{body:.2000}"
    );
    // Named in the invocation's summary (logged as `invocation done`) and counted in its metrics.
    let named = &summary.unreadable[0];
    assert_eq!(named.object, object("deep").to_string());
    assert_eq!(named.event_id.as_deref(), Some("e-cannot-judge"));
    let emf = trailwatch::metrics::emf(summary, "trailwatch", chrono::Utc::now());
    assert_eq!(emf["RecordsUnreadable"], 1, "{emf}");
}
