//! What a payload becomes: its retry units, the objects each names, and the keys left out.

use serde::Serialize;

use super::keys::{decode_key, skip_reason};
use crate::fetch::ObjectRef;

/// How the payload arrived, which decides the shape of the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// S3, SNS or EventBridge invoking directly: an error makes Lambda retry the whole event.
    Direct,
    /// An SQS batch: failures are reported per message in `batchItemFailures`.
    Sqs,
    /// An S3 Batch Operations job: each task gets its own result code.
    Batch {
        /// The job's `invocationSchemaVersion`, echoed back.
        schema_version: String,
        /// The job's `invocationId`, echoed back.
        invocation_id: String,
    },
}

/// One retry unit and the objects it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// The SQS message id or Batch task id; `None` for direct invocations.
    pub id: Option<String>,
    /// The objects to scan.
    pub objects: Vec<ObjectRef>,
    /// The keys not scanned, and why.
    pub skipped: Vec<Skipped>,
    /// Set when the unit could not be read at all; retrying would not change it.
    pub invalid: Option<String>,
}

/// A key that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    /// The object (`s3://bucket/key` or a path).
    pub object: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A payload read: how it arrived, and its retry units.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// How the payload arrived.
    pub kind: Kind,
    /// Its retry units, in payload order.
    pub items: Vec<Item>,
}

impl Trigger {
    /// Every object to scan, in payload order.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectRef> {
        self.items.iter().flat_map(|i| &i.objects)
    }
}

/// Settings that shape how keys are filtered.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only keys under this prefix are scanned (`TRAIL_KEY_PREFIX`), for buckets shared with other data.
    pub key_prefix: Option<String>,
}

/// A payload trailwatch cannot read.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// No known shape.
    #[error("unrecognised payload: {0}")]
    UnknownShape(String),
    /// A known shape with fields missing or of the wrong type.
    #[error("malformed {shape}: {message}")]
    Malformed {
        /// The shape it looked like.
        shape: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl Item {
    /// A listing (the CLI's files and S3 prefixes) as one item, filtered as every trigger is.
    pub fn listed(objects: impl IntoIterator<Item = ObjectRef>, options: &Options) -> Item {
        let mut item = Item::default();
        for object in objects {
            match object {
                ObjectRef::S3 { bucket, key } => item.add(&bucket, &key, false, options),
                ObjectRef::Path { path } => match skip_reason(&path.to_string_lossy(), None) {
                    Some(reason) => item.skipped.push(Skipped {
                        object: path.display().to_string(),
                        reason,
                    }),
                    None => item.objects.push(ObjectRef::Path { path }),
                },
                event @ ObjectRef::Event { .. } => item.objects.push(event),
            }
        }
        item
    }

    /// Files an object under scan or skip. `encoded` keys come from S3 notifications.
    pub fn add(&mut self, bucket: &str, key: &str, encoded: bool, options: &Options) {
        let key = if encoded {
            match decode_key(key) {
                Ok(key) => key,
                Err(reason) => {
                    let object = format!("s3://{bucket}/{key}");
                    self.skipped.push(Skipped { object, reason });
                    return;
                }
            }
        } else {
            key.to_string()
        };
        match skip_reason(&key, options.key_prefix.as_deref()) {
            Some(reason) => self.skipped.push(Skipped {
                object: format!("s3://{bucket}/{key}"),
                reason,
            }),
            None => self.objects.push(ObjectRef::S3 {
                bucket: bucket.to_string(),
                key,
            }),
        }
    }
}
