//! Fetch stage: an object reference becomes a byte stream.
//!
//! The seam is a trait so the Lambda reads S3 while the CLI reads the filesystem through the same
//! pipeline. Errors say whether trying again could help, because the Lambda's retry contract
//! depends on it: a missing object stays missing, a throttled one may not.

mod cancel;
mod event;
mod local;
mod memory;
mod routed;
mod s3;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use tokio::io::AsyncRead;

pub use cancel::Cancellable;
pub use event::WithEvents;
pub use local::{expand_paths, LocalFetch};
pub use memory::{MemoryFetch, Stored};
pub use routed::RoutedFetch;
pub use s3::{list_keys, S3Fetch};

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

/// An object's bytes, as they arrive.
pub type ObjectReader = Box<dyn AsyncRead + Send + Unpin>;

/// Why an object could not be opened, and whether trying again could help.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The object is gone or never existed; retrying will not help.
    #[error("{object}: no such object")]
    NotFound {
        /// The object.
        object: String,
    },
    /// The store refused for a reason that will not pass (access denied, wrong kind of object).
    #[error("{object}: {message}")]
    Permanent {
        /// The object.
        object: String,
        /// What the store said.
        message: String,
    },
    /// Throttling, a 5xx, a timeout or a dropped connection: worth another try.
    #[error("{object}: {message} (retryable)")]
    Retryable {
        /// The object.
        object: String,
        /// What the store said.
        message: String,
    },
}

impl FetchError {
    /// Whether a retry could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, FetchError::Retryable { .. })
    }
}

/// A shared seam is a seam, so wrappers such as [`WithEvents`] take `Arc<dyn Fetch>`.
#[async_trait]
impl<T: Fetch + ?Sized> Fetch for Arc<T> {
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError> {
        (**self).open(object).await
    }
}

/// Opens objects for reading.
#[async_trait]
pub trait Fetch: Send + Sync {
    /// Opens `object` for reading, from its first byte.
    async fn open(&self, object: &ObjectRef) -> Result<ObjectReader, FetchError>;
}
