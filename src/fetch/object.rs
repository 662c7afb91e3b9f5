//! Where a trail file lives: the name every stage after the trigger passes around.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// Where a trail file lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ObjectRef {
    /// An S3 object.
    S3 {
        /// Its bucket.
        bucket: String,
        /// Its key, decoded.
        key: String,
    },
    /// A local file.
    Path {
        /// Its path.
        path: PathBuf,
    },
    /// One CloudTrail record that arrived in an EventBridge event, read from the event itself.
    Event {
        /// The EventBridge event's `id`.
        id: String,
        /// Its `detail-type`, e.g. `AWS API Call via CloudTrail`.
        #[serde(rename = "detail-type")]
        detail_type: String,
        /// The record (`detail`) as JSON text; not part of an alert's `source`.
        #[serde(skip)]
        detail: Arc<str>,
    },
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectRef::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            ObjectRef::Path { path } => write!(f, "{}", path.display()),
            ObjectRef::Event { id, .. } => write!(f, "eventbridge:{id}"),
        }
    }
}

impl ObjectRef {
    /// The bucket, for log fields; empty for local paths.
    pub fn bucket(&self) -> &str {
        match self {
            ObjectRef::S3 { bucket, .. } => bucket,
            ObjectRef::Path { .. } | ObjectRef::Event { .. } => "",
        }
    }

    /// The key (or path), for log fields.
    pub fn key(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ObjectRef::S3 { key, .. } => key.into(),
            ObjectRef::Path { path } => path.to_string_lossy(),
            ObjectRef::Event { id, .. } => id.into(),
        }
    }
}
