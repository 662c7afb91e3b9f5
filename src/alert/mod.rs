//! What trailwatch tells its subscribers, as data: an [`Alert`] for a record that matched a
//! rule, a [`Digest`] for a storm's remainder, a [`CorrelationAlert`] for a window that fired.
//! Each serializes to the JSON machine subscribers read; [`crate::render`] writes the forms
//! people read, and [`crate::plan`] decides which are sent.

mod correlation;
mod digest;
mod rule;

pub use correlation::{CorrelationAlert, CorrelationRef, SampleRecord, VALUES_MAX};
pub use digest::{Capped, Count, Counted, Digest, LIST_MAX};
pub use rule::{Alert, RuleRef};

#[cfg(test)]
pub(crate) use rule::tests;
