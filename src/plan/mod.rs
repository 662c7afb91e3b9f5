//! Plan stage: pure. One object's matches become rendered messages in delivery batches.
//!
//! A [`Planner`] is fed matches as the decoder finds them and hands back each batch as soon as
//! it is full, so a big file's alerts leave before the file ends. It does no I/O and reads no
//! clock. What it keeps per object is bounded whatever the number of matches:
//!
//! - de-duplication within the object: a set of 64-bit hashes of (eventID, rule), capped at
//!   [`DEDUP_MAX`] entries (past that, repeats are no longer recognised, and are counted);
//! - storm control: per rule, the first `max_alerts_per_rule` matches are rendered in full and
//!   the rest only counted into a [`DigestBuilder`], itself bounded;
//! - rendering: each alert once, in the [`Form`] the destination reads;
//! - routing: a rule's `notify:` aliases name its topics;
//! - batching: at most [`BATCH_ENTRIES`] messages and [`BATCH_BYTES`] per batch.

mod batch;
mod hold;
pub mod message;
mod planner;
pub mod routing;
mod settings;
mod storm;
mod suppress;

pub use batch::{Batch, BATCH_BYTES, BATCH_ENTRIES};
pub use hold::{correlations, release, Held};
pub use message::{Form, Kind, Message};
pub use planner::{Finished, PlanStats, Planner, RuleTally, DEDUP_MAX};
pub use routing::{Routes, UnknownAlias};
pub use settings::{PlanSettings, DEFAULT_MAX_ALERTS_PER_RULE};
pub use storm::{DigestBuilder, DISTINCT_MAX};
pub use suppress::{Sighting, SuppressKey, Suppression};
