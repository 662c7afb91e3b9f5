//! Every sample payload in `events/` is read into the objects it names, with the right retry units.

use serde_json::Value;
use trailwatch::trigger::{self, Kind, Options, Trigger};
use trailwatch::ObjectRef;

const BUCKET: &str = "trailwatch-demo-trail";
const GOOD: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1005Z_demo trail.json.gz";

fn payload(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn load(name: &str) -> Trigger {
    trigger::parse(&payload(name), &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn keys(t: &Trigger) -> Vec<String> {
    t.objects()
        .map(|o| match o {
            ObjectRef::S3 { bucket, key } => {
                assert_eq!(bucket, BUCKET);
                key.clone()
            }
            other => panic!("not an S3 object: {other}"),
        })
        .collect()
}

#[test]
fn direct_shapes_name_the_decoded_trail_key() {
    for name in [
        "s3-put.json",
        "sns-s3.json",
        "sns-cloudtrail.json",
        "eventbridge-object-created.json",
    ] {
        let t = load(name);
        assert_eq!(t.kind, Kind::Direct, "{name}");
        assert_eq!(keys(&t), [GOOD], "{name}");
        assert!(t.items.iter().all(|i| i.invalid.is_none()), "{name}");
    }
}

#[test]
fn sqs_messages_are_retry_units_whatever_they_carry() {
    for name in ["sqs-s3.json", "sqs-sns-s3.json"] {
        let t = load(name);
        assert_eq!(t.kind, Kind::Sqs);
        assert_eq!(keys(&t), [GOOD], "{name}");
        assert!(t.items[0].id.as_deref().unwrap().starts_with("00000001-"));
    }
    let t = load("sqs-batch-missing.json");
    assert_eq!(t.items.len(), 3);
    assert!(t.items[1].objects[0]
        .to_string()
        .ends_with("_missing.json.gz"));
    assert_eq!(
        t.items[2].objects.len(),
        1,
        "CloudTrail notification in an SNS envelope"
    );
}

#[test]
fn batch_jobs_of_both_schemas_name_bucket_and_decoded_key() {
    for (name, version) in [("batch-1.0.json", "1.0"), ("batch-2.0.json", "2.0")] {
        let t = load(name);
        let Kind::Batch {
            schema_version,
            invocation_id,
        } = &t.kind
        else {
            panic!("{name}: {:?}", t.kind)
        };
        assert_eq!(schema_version, version);
        assert!(!invocation_id.is_empty());
        assert_eq!(t.items.len(), 2);
        assert_eq!(keys(&t)[0], GOOD);
        assert_eq!(t.items[0].id.as_deref(), Some("dGFza1"));
    }
}

#[test]
fn s3_test_event_is_acknowledged_with_nothing_to_do() {
    assert_eq!(load("s3-test-event.json").objects().count(), 0);
}

#[test]
fn key_prefix_filter_skips_with_a_reason() {
    let options = Options {
        key_prefix: Some("AWSLogs/o-".into()),
    };
    let t = trigger::parse(&payload("s3-put.json"), &options).unwrap();
    assert_eq!(t.objects().count(), 0);
    assert!(t.items[0].skipped[0].reason.contains("TRAIL_KEY_PREFIX"));
}

#[test]
fn unknown_and_malformed_payloads_are_named() {
    let err = trigger::parse(&serde_json::json!({"hello": 1}), &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unrecognised payload: object with keys [hello]"
    );
    let sqs = serde_json::json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "not json"}]});
    let t = trigger::parse(&sqs, &Options::default()).unwrap();
    assert!(t.items[0].invalid.as_deref().unwrap().contains("not JSON"));
}
