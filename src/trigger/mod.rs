//! Trigger stage: a Lambda payload becomes the list of objects to scan.
//!
//! Trail files reach the function in many envelopes: straight from S3, through SNS or SQS (or SNS
//! then SQS), as CloudTrail's own SNS notification, from EventBridge, or as S3 Batch Operations
//! tasks. The shape is detected from the payload, with no configuration, and every later stage
//! sees only [`ObjectRef`]s. Each retry unit (an SQS message, a Batch task, or the whole invocation)
//! is an [`Item`], so the handler can answer each trigger's failure contract.

mod keys;
mod shapes;

use serde::Serialize;
use serde_json::Value;

use crate::fetch::ObjectRef;

pub use keys::{decode_key, key_time_bound, skip_reason, TrailKey};
pub use shapes::CLOUDTRAIL_DETAIL_TYPES;

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

/// Orders trail files by the delivery time in their key, across regions and accounts (stable:
/// files of one minute keep the listing's order; files without a trail key come first, as
/// listed). A listing is region-major, one region's whole day before the next; read in
/// delivery order, every region's correlation clock advances together, as in live delivery,
/// and the correlation state held in memory stays that of the last timespan plus lateness.
pub fn delivery_order(objects: &mut [ObjectRef]) {
    objects.sort_by_cached_key(|o| {
        let text = match o {
            ObjectRef::S3 { key, .. } => key.clone(),
            ObjectRef::Path { path } => path.to_string_lossy().into_owned(),
            ObjectRef::Event { .. } => return None,
        };
        TrailKey::parse(&text).map(|k| k.timestamp.to_owned())
    });
}

/// Reads a payload whose shape tells what sent it.
pub fn parse(payload: &Value, options: &Options) -> Result<Trigger, TriggerError> {
    shapes::parse(payload, options)
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
