//! Fetch stage: an object reference becomes a byte stream.
//!
//! The seam is a trait so the Lambda reads S3 while the CLI reads the filesystem through the same
//! pipeline. Errors say whether trying again could help, because the Lambda's retry contract
//! depends on it: a missing object stays missing, a throttled one may not.

mod cancel;
mod event;
mod local;
mod memory;
mod object;
mod routed;
mod s3;
mod seam;

pub use cancel::Cancellable;
pub use event::WithEvents;
pub use local::{expand_paths, LocalFetch};
pub use memory::{MemoryFetch, Stored};
pub use object::ObjectRef;
pub use routed::RoutedFetch;
pub use s3::{list_keys, S3Fetch};
pub use seam::{Fetch, FetchError, ObjectReader};
