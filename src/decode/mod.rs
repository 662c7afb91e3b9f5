//! Decode stage: a byte stream becomes CloudTrail records, one at a time.
//!
//! A delivery can be a gigabyte once inflated, so nothing here holds the whole text or a `Vec` of
//! records: the `Records` array is walked element by element and each is handed to a callback as
//! raw JSON, which the matcher parses only if some rule could care about it.
//!
//! A large object goes through three threads, because inflating, splitting and matching each
//! cost a share of the work and a Lambda above 1,769 MB has two cores: one inflates into
//! 256 KiB chunks; one splits records out of them with a byte scanner that only tracks strings
//! and nesting, validates each from its slice (which serde_json does several times faster than
//! through `io::Read`) and packs them into batches; the caller's thread takes the batches and
//! hands each record on. A small object is all done on the caller's thread.
//!
//! Accepted shapes, sniffed rather than trusted from the key's suffix:
//! - gzip (one or more members) or plain bytes;
//! - `{"Records": [...]}`, the CloudTrail delivery;
//! - a top-level array of records, as event-history exports write them;
//! - one or more record objects in a row (NDJSON), as log shippers write them.

mod depth;
mod error;
mod inflate;
mod limits;
mod records;
mod scan;
mod walker;

pub use depth::{cut_deep, DEEP_MARKER, MAX_KEPT_DEPTH};
pub use error::DecodeError;
pub use limits::{LimitExceeded, Limits, DEFAULT_MAX_OBJECT_BYTES, DEFAULT_MAX_RECORD_BYTES};
pub use records::{records, records_with};
pub(crate) use scan::Scan;

#[cfg(test)]
mod tests;
