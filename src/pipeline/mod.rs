//! The stages wired for a list of objects, the same for the Lambda and the CLI:
//! `fetch → decode → match → correlate → verdicts → plan → deliver`.
//!
//! Decoding, matching and planning are CPU work on a blocking reader, so they run on a blocking
//! thread fed by the async fetch stream. Planned batches cross back over a bounded channel and
//! are delivered while the object is still being read: memory stays flat whatever the number of
//! matches, and a big file's first alerts leave before it ends. Once the object is read, its
//! held `suppress:` combinations and correlation slices get their verdicts from the state
//! table in one step ([`crate::verdict`]), and the alerts those release are planned and
//! delivered the same way.

mod object;
mod runner;
mod settings;
mod summary;

pub use runner::{unique_owner, Pipeline, UNIT_EVENTS};
pub use settings::{Settings, DEFAULT_CONCURRENCY, DEFAULT_OBJECT_TIMEOUT};
pub use summary::{
    CorrelationTally, Failed, ObjectError, Outcome, Summary, Unreadable, UNREADABLE_NAMED,
};
