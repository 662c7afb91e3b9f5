//! Trigger stage: a Lambda payload becomes the list of objects to scan.
//!
//! S3 sends object keys URL-encoded, with `+` for a space, so keys are decoded here once and every
//! later stage sees the real key. Objects that are not trail files are skipped with a reason, so
//! the summary accounts for every key the function was told about.

use aws_lambda_events::s3::S3Event;
use serde::Serialize;
use serde_json::Value;

use crate::fetch::ObjectRef;

/// What a payload asks for: objects to scan, and keys deliberately passed over.
#[derive(Debug, Default, PartialEq)]
pub struct Trigger {
    pub objects: Vec<ObjectRef>,
    pub skipped: Vec<Skipped>,
}

/// A key that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub object: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("unrecognised payload: {0}")]
    UnknownShape(String),
    #[error("malformed S3 notification: {0}")]
    Malformed(String),
}

/// Reads a payload whose shape tells what sent it.
pub fn parse(payload: &Value) -> Result<Trigger, TriggerError> {
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Trigger::default());
    }
    if is_s3_notification(payload) {
        return from_s3_event(payload.clone());
    }
    Err(TriggerError::UnknownShape(describe(payload)))
}

fn is_s3_notification(payload: &Value) -> bool {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:s3")
}

fn from_s3_event(payload: Value) -> Result<Trigger, TriggerError> {
    let event: S3Event =
        serde_json::from_value(payload).map_err(|e| TriggerError::Malformed(e.to_string()))?;
    let mut trigger = Trigger::default();
    for record in event.records {
        let bucket = record.s3.bucket.name.unwrap_or_default();
        let raw_key = record.s3.object.key.unwrap_or_default();
        if bucket.is_empty() || raw_key.is_empty() {
            return Err(TriggerError::Malformed(
                "record without bucket name or key".into(),
            ));
        }
        trigger.add(bucket, &raw_key);
    }
    Ok(trigger)
}

impl Trigger {
    /// Decodes `raw_key` and files the object under scan or skip.
    pub fn add(&mut self, bucket: String, raw_key: &str) {
        let key = match decode_key(raw_key) {
            Ok(key) => key,
            Err(reason) => {
                let object = format!("s3://{bucket}/{raw_key}");
                self.skipped.push(Skipped { object, reason });
                return;
            }
        };
        match skip_reason(&key) {
            Some(reason) => self.skipped.push(Skipped {
                object: format!("s3://{bucket}/{key}"),
                reason: reason.to_string(),
            }),
            None => self.objects.push(ObjectRef::S3 { bucket, key }),
        }
    }
}

/// Undoes S3's key encoding: `+` is a space, then percent-decoding.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("key {raw:?} does not decode to UTF-8"))
}

/// Why a key is not a trail file worth scanning, if it is not.
pub fn skip_reason(key: &str) -> Option<&'static str> {
    if key.split('/').any(|part| part == "CloudTrail-Digest") {
        return Some("CloudTrail digest file");
    }
    if !(key.ends_with(".json.gz") || key.ends_with(".json")) {
        return Some("not a .json or .json.gz trail file");
    }
    None
}

/// A short description of a payload's shape, for the error that names it.
fn describe(payload: &Value) -> String {
    match payload {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
            format!("object with keys [{}]", keys.join(", "))
        }
        Value::Array(items) => format!("array of {} items", items.len()),
        other => format!("JSON {}", type_name(other)),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_event(key: &str) -> Value {
        json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-25T10:05:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:X"}, "requestParameters": {"sourceIPAddress": "10.0.0.1"},
            "responseElements": {}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
            "bucket": {"name": "trail", "ownerIdentity": {"principalId": "X"}, "arn": "arn:aws:s3:::trail"},
            "object": {"key": key, "size": 10, "eTag": "e", "sequencer": "01"}}}]})
    }

    #[test]
    fn plus_is_a_space_and_percent_escapes_decode() {
        assert_eq!(
            decode_key("a+b%2Bc%20d.json.gz").unwrap(),
            "a b+c d.json.gz"
        );
        assert_eq!(
            decode_key("AWSLogs/o-abc%3D/x.json").unwrap(),
            "AWSLogs/o-abc=/x.json"
        );
    }

    #[test]
    fn key_that_is_not_utf8_is_refused() {
        assert!(decode_key("bad%FF.json").is_err());
    }

    #[test]
    fn s3_notification_yields_decoded_object() {
        let t = parse(&s3_event("AWSLogs/1/CloudTrail/us-east-1/x+y.json.gz")).unwrap();
        assert_eq!(
            t.objects,
            vec![ObjectRef::S3 {
                bucket: "trail".into(),
                key: "AWSLogs/1/CloudTrail/us-east-1/x y.json.gz".into()
            }]
        );
        assert!(t.skipped.is_empty());
    }

    #[test]
    fn digest_and_foreign_keys_are_skipped_with_reason() {
        let t = parse(&s3_event("AWSLogs/1/CloudTrail-Digest/us-east-1/d.json.gz")).unwrap();
        assert!(t.objects.is_empty());
        assert_eq!(t.skipped[0].reason, "CloudTrail digest file");
        let t = parse(&s3_event("AWSLogs/1/notes.txt")).unwrap();
        assert_eq!(t.skipped[0].reason, "not a .json or .json.gz trail file");
    }

    #[test]
    fn test_event_is_acknowledged() {
        let t = parse(&json!({"Service": "Amazon S3", "Event": "s3:TestEvent"})).unwrap();
        assert_eq!(t, Trigger::default());
    }

    #[test]
    fn unknown_payload_names_its_shape() {
        let err = parse(&json!({"hello": 1})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unrecognised payload: object with keys [hello]"
        );
    }
}
