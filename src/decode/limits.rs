//! Bounds on one object, and which one it went past.

/// Bounds on one object, so a gzip bomb or one giant record ends in an error naming the limit
/// instead of exhausting the function's memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes per object (`MAX_OBJECT_BYTES`). Real deliveries reach about 1 GB.
    pub max_object_bytes: u64,
    /// Bytes per record (`MAX_RECORD_BYTES`). A record is buffered whole before it is matched:
    /// this is what bounds that buffer.
    pub max_record_bytes: u64,
}

/// Default for `MAX_OBJECT_BYTES`: 4 GiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Default for `MAX_RECORD_BYTES`: 16 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Which bound an object went past.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The object, decompressed, is larger than `MAX_OBJECT_BYTES`.
    #[error("content is over the {limit} byte limit once decompressed (MAX_OBJECT_BYTES)")]
    Object {
        /// `MAX_OBJECT_BYTES`.
        limit: u64,
    },
    /// One record is larger than `MAX_RECORD_BYTES`.
    #[error("a record is over the {limit} byte limit (MAX_RECORD_BYTES)")]
    Record {
        /// `MAX_RECORD_BYTES`.
        limit: u64,
    },
}
