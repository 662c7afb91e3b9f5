//! Payload shapes, detected by the fields only that shape has.

use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sns::SnsEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde::Deserialize;
use serde_json::Value;

use super::item::{Item, Kind, Options, Skipped, Trigger, TriggerError};

/// Reads a payload whose shape tells what sent it.
pub fn parse(payload: &Value, options: &Options) -> Result<Trigger, TriggerError> {
    let direct = |items| {
        Ok(Trigger {
            kind: Kind::Direct,
            items,
        })
    };
    if payload.get("tasks").is_some() && payload.get("invocationSchemaVersion").is_some() {
        return batch(payload, options);
    }
    match first_record_source(payload).as_deref() {
        Some("aws:sqs") => return sqs(payload, options),
        Some("aws:sns") => return direct(vec![sns(payload, options)?]),
        _ => {}
    }
    let mut item = Item::default();
    match notification(payload, &mut item, options) {
        Ok(true) => direct(vec![item]),
        Ok(false) => Err(TriggerError::UnknownShape(describe(payload))),
        Err(message) => Err(TriggerError::Malformed {
            shape: "notification",
            message,
        }),
    }
}

/// `eventSource` (S3, SQS) or `EventSource` (SNS) of the first record, if any.
fn first_record_source(payload: &Value) -> Option<String> {
    let first = payload.get("Records")?.as_array()?.first()?;
    let source = first
        .get("eventSource")
        .or_else(|| first.get("EventSource"))?;
    source.as_str().map(str::to_string)
}

/// Reads any payload that names S3 objects into `item`. `Ok(false)`: not a shape we know.
fn notification(value: &Value, item: &mut Item, options: &Options) -> Result<bool, String> {
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(true);
    }
    if first_record_source(value).as_deref() == Some("aws:s3") {
        for (bucket, key) in s3_objects(value)? {
            item.add(&bucket, &key, true, options);
        }
        return Ok(true);
    }
    // SNS envelope inside SQS (subscription without raw delivery).
    if value.get("Type").and_then(Value::as_str) == Some("Notification") {
        let message = value
            .get("Message")
            .and_then(Value::as_str)
            .ok_or("SNS envelope without Message")?;
        return embedded(message, item, options);
    }
    // CloudTrail's own SNS notification: keys are plain, not URL-encoded.
    if let (Some(bucket), Some(keys)) = (value.get("s3Bucket"), value.get("s3ObjectKey")) {
        let bucket = bucket.as_str().ok_or("s3Bucket is not a string")?;
        let keys = keys.as_array().ok_or("s3ObjectKey is not an array")?;
        for key in keys {
            item.add(
                bucket,
                key.as_str().ok_or("s3ObjectKey holds a non-string")?,
                false,
                options,
            );
        }
        return Ok(true);
    }
    if let Some(detail_type) = value.get("detail-type").and_then(Value::as_str) {
        if CLOUDTRAIL_DETAIL_TYPES.contains(&detail_type) {
            return cloudtrail_event(value, detail_type, item).map(|()| true);
        }
    }
    if value.get("source").and_then(Value::as_str) == Some("aws.s3")
        && value.get("detail-type").is_some()
    {
        return eventbridge(value, item, options).map(|()| true);
    }
    Ok(false)
}

/// Bucket and (encoded) key of each record of an S3 notification. The typed event is tried
/// first; hand-made or trimmed notifications that lack its required fields are read leniently.
fn s3_objects(value: &Value) -> Result<Vec<(String, String)>, String> {
    if let Ok(event) = serde_json::from_value::<S3Event>(value.clone()) {
        let pairs = event.records.into_iter().map(|r| {
            (
                r.s3.bucket.name.unwrap_or_default(),
                r.s3.object.key.unwrap_or_default(),
            )
        });
        return non_empty(pairs.collect());
    }
    let records = value
        .get("Records")
        .and_then(Value::as_array)
        .ok_or("Records is not an array")?;
    let text = |r: &Value, pointer: &str| {
        r.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    non_empty(
        records
            .iter()
            .map(|r| (text(r, "/s3/bucket/name"), text(r, "/s3/object/key")))
            .collect(),
    )
}

fn non_empty(pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, String> {
    match pairs
        .iter()
        .any(|(bucket, key)| bucket.is_empty() || key.is_empty())
    {
        true => Err("S3 record without bucket name or object key".into()),
        false => Ok(pairs),
    }
}

/// A notification carried as a JSON string (SNS `Message`, SQS `body`).
fn embedded(text: &str, item: &mut Item, options: &Options) -> Result<bool, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("message is not JSON: {e}"))?;
    match notification(&value, item, options)? {
        true => Ok(true),
        false => Err(format!("message is an {}", describe(&value))),
    }
}

/// The detail types CloudTrail sends to EventBridge, each with one record as `detail`.
pub const CLOUDTRAIL_DETAIL_TYPES: &[&str] = &[
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Console Action via CloudTrail",
    "AWS Service Event via CloudTrail",
    "AWS Insight via CloudTrail",
];

/// One CloudTrail record delivered by EventBridge: it is its own object.
fn cloudtrail_event(value: &Value, detail_type: &str, item: &mut Item) -> Result<(), String> {
    let id = value.get("id").and_then(Value::as_str).unwrap_or("?");
    let detail = value.get("detail").filter(|d| {
        d.get("eventID").is_some_and(Value::is_string)
            && d.get("eventName").is_some_and(Value::is_string)
    });
    let Some(detail) = detail else {
        return Err(format!(
            "EventBridge event {id} ({detail_type}): detail is not a CloudTrail record \
             (it needs string eventID and eventName)"
        ));
    };
    item.objects.push(crate::fetch::ObjectRef::Event {
        id: id.to_string(),
        detail_type: detail_type.to_string(),
        detail: detail.to_string().into(),
    });
    Ok(())
}

fn eventbridge(value: &Value, item: &mut Item, options: &Options) -> Result<(), String> {
    let detail_type = value
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if detail_type != "Object Created" {
        let object = format!("EventBridge {detail_type:?} event");
        let reason = "only Object Created events name new trail files".to_string();
        item.skipped.push(Skipped { object, reason });
        return Ok(());
    }
    let detail = value
        .get("detail")
        .ok_or("EventBridge event without detail")?;
    let bucket = detail.pointer("/bucket/name").and_then(Value::as_str);
    let key = detail.pointer("/object/key").and_then(Value::as_str);
    match (bucket, key) {
        // EventBridge carries the key as written, not URL-encoded.
        (Some(bucket), Some(key)) => {
            item.add(bucket, key, false, options);
            Ok(())
        }
        _ => {
            Err("EventBridge Object Created without detail.bucket.name or detail.object.key".into())
        }
    }
}

fn sns(payload: &Value, options: &Options) -> Result<Item, TriggerError> {
    let malformed = |message: String| TriggerError::Malformed {
        shape: "SNS event",
        message,
    };
    let event: SnsEvent =
        serde_json::from_value(payload.clone()).map_err(|e| malformed(e.to_string()))?;
    let mut item = Item::default();
    for record in event.records {
        if let Err(message) = embedded(&record.sns.message, &mut item, options) {
            item.invalid = Some(format!("SNS message {}: {message}", record.sns.message_id));
        }
    }
    Ok(item)
}

fn sqs(payload: &Value, options: &Options) -> Result<Trigger, TriggerError> {
    let event: SqsEvent =
        serde_json::from_value(payload.clone()).map_err(|e| TriggerError::Malformed {
            shape: "SQS event",
            message: e.to_string(),
        })?;
    let items = event
        .records
        .into_iter()
        .map(|message| {
            let mut item = Item {
                id: message.message_id,
                ..Item::default()
            };
            let body = message.body.unwrap_or_default();
            if let Err(e) = embedded(&body, &mut item, options) {
                item.invalid = Some(e);
            }
            item
        })
        .collect();
    Ok(Trigger {
        kind: Kind::Sqs,
        items,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchEvent {
    invocation_schema_version: String,
    invocation_id: String,
    tasks: Vec<BatchTask>,
}

/// Schema 1.0 names the bucket by ARN, 2.0 by name; both URL-encode the key.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchTask {
    task_id: String,
    s3_key: String,
    s3_bucket_arn: Option<String>,
    s3_bucket: Option<String>,
}

fn batch(payload: &Value, options: &Options) -> Result<Trigger, TriggerError> {
    let event: BatchEvent =
        serde_json::from_value(payload.clone()).map_err(|e| TriggerError::Malformed {
            shape: "S3 Batch Operations job",
            message: e.to_string(),
        })?;
    let items = event
        .tasks
        .into_iter()
        .map(|task| {
            let mut item = Item {
                id: Some(task.task_id),
                ..Item::default()
            };
            let bucket = task.s3_bucket.or_else(|| {
                task.s3_bucket_arn
                    .map(|arn| arn.trim_start_matches("arn:aws:s3:::").to_string())
            });
            match bucket {
                Some(bucket) => item.add(&bucket, &task.s3_key, true, options),
                None => item.invalid = Some("task names no bucket".into()),
            }
            item
        })
        .collect();
    let kind = Kind::Batch {
        schema_version: event.invocation_schema_version,
        invocation_id: event.invocation_id,
    };
    Ok(Trigger { kind, items })
}

/// A short description of a payload's shape, for the error that names it.
fn describe(payload: &Value) -> String {
    match payload {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
            format!("object with keys [{}]", keys.join(", "))
        }
        Value::Array(items) => format!("array of {} items", items.len()),
        Value::Null => "JSON null".into(),
        Value::Bool(_) => "JSON bool".into(),
        Value::Number(_) => "JSON number".into(),
        Value::String(_) => "JSON string".into(),
    }
}
