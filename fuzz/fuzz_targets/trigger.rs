//! Any Lambda payload (JSON or not) becomes object refs or an error, never a panic: S3, SNS and
//! SQS envelopes, Batch tasks, EventBridge CloudTrail events and SQS batches of them. A unit
//! that could not be read names no objects, and an EventBridge record reaches the decoder as one
//! JSON object that decodes to one record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailwatch::fetch::ObjectRef;
use trailwatch::trigger::{self, Options};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Keys in notifications are attacker-named: decoding must not panic either.
        let _ = trigger::decode_key(text);
        let _ = trigger::skip_reason(text, Some("AWSLogs/"));
        let _ = trigger::TrailKey::parse(text);
    }
    let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for options in [
        Options::default(),
        Options {
            key_prefix: Some("AWSLogs/".into()),
        },
    ] {
        let Ok(t) = trigger::parse(&payload, &options) else {
            continue;
        };
        for item in &t.items {
            if item.invalid.is_some() {
                assert!(
                    item.objects.is_empty(),
                    "an invalid unit with objects: {item:?}"
                );
            }
        }
        for object in t.objects() {
            let _ = object.to_string();
            if let ObjectRef::Event { detail, .. } = object {
                let record: serde_json::Value =
                    serde_json::from_str(detail).expect("an EventBridge detail is JSON");
                assert!(record.is_object(), "detail is not an object: {detail}");
                let mut records = 0;
                trailwatch::decode::records(detail.as_bytes(), |_| records += 1)
                    .expect("an EventBridge record decodes");
                assert_eq!(records, 1, "one event, one record: {detail}");
            }
        }
    }
});
