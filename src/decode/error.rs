//! Why an object's records could not all be read.

use std::io;

use super::limits::LimitExceeded;

/// Why an object's records could not all be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes could not be read or inflated: corrupt or truncated gzip, or a failed read.
    #[error("cannot read the content: {0}")]
    Read(#[source] io::Error),
    /// The inflated text is not JSON, or not JSON shaped like CloudTrail.
    #[error("not a CloudTrail file: {0}")]
    Json(#[source] serde_json::Error),
    /// The content went past a configured bound; the records before it were delivered.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
}

impl DecodeError {
    /// A limit travels from the inflating thread as an I/O error; this takes it back out.
    pub(super) fn from_io(e: io::Error) -> Self {
        match e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
            Some(limit) => DecodeError::Limit(limit.clone()),
            None => DecodeError::Read(e),
        }
    }
}
