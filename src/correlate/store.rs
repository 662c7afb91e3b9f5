//! The seam the correlate stage settles through: where each group's slices and firings are
//! kept across objects, paths and invocations (DynamoDB in the function, memory in the CLI).

use std::time::SystemTime;

use async_trait::async_trait;

use super::slice::{FireRequest, Fired, Slice};
use crate::state::StateError;

/// Correlation windows shared by every object of a group. Every call takes a batch and answers
/// in its order.
#[async_trait]
pub trait CorrelationStore: Send + Sync {
    /// Stores each slice (replacing the one its origin stored before) and returns, for each,
    /// every slice its group holds, itself included, whose newest record is within the
    /// slice's `keep_ms` of `now` (the correlation clock). Writes come before reads, so of two
    /// objects of one group stored at once, at least the later sees both.
    async fn gather(
        &self,
        slices: &[Slice],
        now: SystemTime,
    ) -> Result<Vec<Vec<Slice>>, StateError>;

    /// Settles each group's triggers into firings, atomically per group ([`super::cover`]),
    /// remembering firings for `keep_ms` after them.
    async fn fire(
        &self,
        requests: &[FireRequest],
        now: SystemTime,
    ) -> Result<Vec<Vec<Fired>>, StateError>;
}
