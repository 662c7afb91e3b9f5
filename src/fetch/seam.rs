//! The fetch seam: opening an object, and why that failed.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use super::object::ObjectRef;

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

/// A shared seam is a seam, so wrappers such as [`WithEvents`](super::WithEvents) take `Arc<dyn Fetch>`.
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
