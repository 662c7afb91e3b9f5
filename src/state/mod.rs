//! What trailwatch remembers between invocations: which alerts were delivered, how often a
//! rule's `suppress:` combination was seen inside its window, and correlation windows.
//!
//! Each stage declares the small seam it needs: claims ([`crate::deliver::ClaimStore`]),
//! suppression verdicts ([`crate::verdict::SuppressionStore`]) and correlation windows
//! ([`crate::correlate::CorrelationStore`]). This module implements all three on one table,
//! [`StateStore`] names a store that serves them all, and [`policy`] is what a stage does when
//! the table cannot be reached.
//!
//! Standard SNS topics deliver at least once, and so do S3 notifications, Lambda retries, SQS and
//! backfills. The state seam turns that into exactly-once alerts (save for the crash window
//! below) with a handful of conditional writes. [`dynamodb::DynamoStore`] serves the function,
//! [`memory::MemoryStore`] the CLI and the unit tests; both keep the same protocol.
//!
//! # Claims: exactly-once delivery
//!
//! An alert's identity is an [`AlertKey`](crate::deliver::AlertKey): (rule id, eventID), or (rule id, `digest#` + object)
//! for a digest. Before `deliver` sends it, the pipeline calls [`ClaimStore::claim`](crate::deliver::ClaimStore::claim):
//!
//! - absent, or claimed by an owner whose lease ran out and never delivered: [`Claim::Won`](crate::deliver::Claim::Won), and
//!   the claim (owner, lease end) is written in the same conditional write;
//! - already delivered: [`Claim::AlreadyDelivered`](crate::deliver::Claim::AlreadyDelivered), skip it and count it;
//! - claimed by another owner whose lease runs: [`Claim::HeldByOther`](crate::deliver::Claim::HeldByOther), make the object
//!   retryable, so nothing is lost if that owner dies.
//!
//! A correlation alert's identity is (correlation id, `corr#` + group + firing time). A firing is
//! recorded by [`CorrelationStore::fire`](crate::correlate::CorrelationStore::fire) without a claim or lease; every object that meets it sends
//! its alert through a claim like any other, taken once the alert is rendered, just before its
//! batch is published, so a firing's rendering is never under a lease.
//!
//! A claim is fenced while its batch is sent ([`crate::deliver`]'s fence): a claim with less
//! than two thirds of its lease left is claimed again before the publish starts (keeping only
//! what is still [`Claim::Won`](crate::deliver::Claim::Won): what another owner took over or delivered is not sent, and the
//! object is made retryable), and while the publish and the delivered mark are in flight the
//! claim is claimed again every third of a lease. Claiming again is the same conditional write,
//! so it renews only a claim nobody else holds. A live sender therefore never sees its lease run
//! out: a renewal that finds the claim lost, or cannot reach the table before a sixth of the
//! lease is left, stops the publish (its batch fails as retryable, nothing is marked).
//!
//! After a successful send, [`ClaimStore::delivered`](crate::deliver::ClaimStore::delivered) marks it delivered, kept for the store's
//! retention (TTL). After a failed send, [`ClaimStore::release`](crate::deliver::ClaimStore::release) hands the claim back, so the
//! retry need not wait out the lease. The window for a duplicate is a sender that stops renewing
//! between the publish and the delivered mark: it crashes or is killed (the publish may have
//! reached SNS; the retry sends again once the lease runs out), its invocation is stopped at
//! its deadline with a publish that does not finish and get marked within the pipeline's grace
//! (5 s; no other batch starts meanwhile), or its process or the table is stalled for a whole
//! lease while a publish it already started is still in flight. A slow publish alone is not: its claims are renewed. No
//! crash can lose an alert, because an identity is only ever skipped once it is marked
//! delivered, which happens after the send.
//!
//! # Suppression: one alert per combination per window
//!
//! A rule with `suppress: { by: [...], for: 1h }` delivers the first alert of each combination
//! of those fields' values; repeats inside the window are counted. [`SuppressionStore::suppress`](crate::verdict::SuppressionStore::suppress)
//! takes one [`Sighting`](crate::plan::Sighting) per (combination, object), with how many times it was seen there, so
//! an object's many repeats cost one decision:
//!
//! - no window open at the sighting's time: open one (from `at - window` to `at + window`, so a
//!   backfill of older files is judged the same way), owned by this object, and
//!   [`Suppression::Deliver`](crate::plan::Suppression::Deliver) with the count the closed window had gathered. The sighting's
//!   other `repeats - 1` are the new window's first suppressed ones;
//! - a window open: [`Suppression::Suppressed`](crate::plan::Suppression::Suppressed), and `repeats` is added to its count;
//! - the same object again (a retry): the same answer as the first time, and nothing is
//!   counted twice, so a retried object neither loses its alert nor inflates the count.
//!
//! Every stored item carries a TTL (`expires_at`, epoch seconds); an item past it counts as
//! absent even before DynamoDB deletes it.
//!
//! # Errors
//!
//! [`StateError::Unavailable`] is throttling, 5xx, timeouts and refused connections that the
//! SDK's retries did not get past: the pipeline may then deliver single-record alerts anyway
//! (`STATE_UNAVAILABLE`, applied in one place: [`Health::fail`]), since a duplicate beats a
//! missed page. Anything else (a missing table, no permission) is [`StateError::Other`]. When a batched call fails, some of its keys
//! may have been written; their leases simply run out.

pub mod dynamodb;
mod error;
mod memory;
mod memory_correlation;
pub mod policy;
mod store;
mod time;

pub use dynamodb::DynamoStore;
pub use error::StateError;
pub use memory::MemoryStore;
pub use policy::{Fallback, Health, StateSettings, StateUnavailable};
pub use store::StateStore;
pub use time::{
    epoch_ms, epoch_secs_ceil, from_epoch_ms, origin_tag, CONCURRENCY, DEFAULT_RETENTION,
};
