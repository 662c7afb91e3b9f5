//! What trailwatch remembers between invocations: which alerts were delivered, how often a
//! rule's `suppress:` combination was seen inside its window, and correlation windows
//! ([`correlation`]).
//!
//! Standard SNS topics deliver at least once, and so do S3 notifications, Lambda retries, SQS and
//! backfills. The state seam turns that into exactly-once alerts (save for the crash window
//! below) with a handful of conditional writes. [`dynamodb::DynamoStore`] serves the function,
//! [`memory::MemoryStore`] the CLI and the unit tests; both keep the same protocol.
//!
//! # Claims: exactly-once delivery
//!
//! An alert's identity is an [`AlertKey`]: (rule id, eventID), or (rule id, `digest#` + object)
//! for a digest. Before `deliver` sends it, the pipeline calls [`StateStore::claim`]:
//!
//! - absent, or claimed by an owner whose lease ran out and never delivered: [`Claim::Won`], and
//!   the claim (owner, lease end) is written in the same conditional write;
//! - already delivered: [`Claim::AlreadyDelivered`], skip it and count it;
//! - claimed by another owner whose lease runs: [`Claim::HeldByOther`], make the object
//!   retryable, so nothing is lost if that owner dies.
//!
//! A correlation alert's identity is (correlation id, `corr#` + group + firing time). A firing is
//! recorded by [`StateStore::fire`] without a claim or lease; every object that meets it sends
//! its alert through a claim like any other, taken once the alert is rendered, just before its
//! batch is published, so a firing's rendering is never under a lease.
//!
//! A claim is fenced while its batch is sent (`crate::pipeline`'s delivery): a claim with less
//! than two thirds of its lease left is claimed again before the publish starts (keeping only
//! what is still [`Claim::Won`]: what another owner took over or delivered is not sent, and the
//! object is made retryable), and while the publish and the delivered mark are in flight the
//! claim is claimed again every third of a lease. Claiming again is the same conditional write,
//! so it renews only a claim nobody else holds. A live sender therefore never sees its lease run
//! out: a renewal that finds the claim lost, or cannot reach the table before a sixth of the
//! lease is left, stops the publish (its batch fails as retryable, nothing is marked).
//!
//! After a successful send, [`StateStore::delivered`] marks it delivered, kept for the store's
//! retention (TTL). After a failed send, [`StateStore::release`] hands the claim back, so the
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
//! of those fields' values; repeats inside the window are counted. [`StateStore::suppress`]
//! takes one [`Sighting`] per (combination, object), with how many times it was seen there, so
//! an object's many repeats cost one decision:
//!
//! - no window open at the sighting's time: open one (from `at - window` to `at + window`, so a
//!   backfill of older files is judged the same way), owned by this object, and
//!   [`Suppression::Deliver`] with the count the closed window had gathered. The sighting's
//!   other `repeats - 1` are the new window's first suppressed ones;
//! - a window open: [`Suppression::Suppressed`], and `repeats` is added to its count;
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
//! (`STATE_UNAVAILABLE`), since a duplicate beats a missed page. Anything else (a missing
//! table, no permission) is [`StateError::Other`]. When a batched call fails, some of its keys
//! may have been written; their leases simply run out.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

pub mod correlation;
pub mod dynamodb;
pub mod memory;
mod memory_correlation;

pub use correlation::{Contribution, FireRequest, Fired, GroupId, Sample, Slice};

pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;

/// How many requests one batched call keeps in flight.
pub const CONCURRENCY: usize = 16;

/// How long delivered identities and suppression counts are kept by default: longer than any
/// redelivery (Lambda retries 6 h, SQS 14 days) short of a backfill of older files.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// `STATE_UNAVAILABLE`: when the state table cannot be reached after the SDK's retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateUnavailable {
    /// Send single-record alerts anyway (a duplicate beats a missed page) and fail the object
    /// as retryable afterwards.
    #[default]
    Deliver,
    /// Send nothing for the object and fail it as retryable.
    Fail,
}

/// An alert's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertKey {
    /// The rule that matched.
    pub rule_id: String,
    /// The record's eventID, or `digest#` + the object for a digest.
    pub subject: String,
}

impl AlertKey {
    /// The identity of a single-record alert.
    pub fn alert(rule_id: impl Into<String>, event_id: impl Into<String>) -> AlertKey {
        AlertKey {
            rule_id: rule_id.into(),
            subject: event_id.into(),
        }
    }

    /// The identity of a rule's digest for one object.
    pub fn digest(rule_id: impl Into<String>, object: &str) -> AlertKey {
        AlertKey {
            rule_id: rule_id.into(),
            subject: format!("digest#{object}"),
        }
    }
}

/// The outcome of claiming one [`AlertKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This owner may send it.
    Won,
    /// Sent before: skip it.
    AlreadyDelivered,
    /// Another owner is sending it; its lease runs until `until`.
    HeldByOther {
        /// When its lease runs out.
        until: SystemTime,
    },
}

/// A rule's `suppress: by` values for one record; `None` where the field is missing or null.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SuppressKey {
    /// The rule with `suppress:`.
    pub rule_id: String,
    /// One value per `by` field, in the rule's order.
    pub values: Vec<Option<String>>,
}

impl SuppressKey {
    /// A fixed-size name for the combination (values can be long, and are not all we key on).
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for v in &self.values {
            match v {
                // A length prefix keeps ("ab","c") and ("a","bc") apart.
                Some(s) => h.update(format!("s{}:{s}", s.len())),
                None => h.update("n"),
            }
        }
        hex(&h.finalize()[..16])
    }
}

/// One combination seen in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The rule and combination.
    pub key: SuppressKey,
    /// The object it was seen in (bucket/key or path): a retry of it is recognised.
    pub origin: String,
    /// The event time of its first occurrence in the object.
    pub at: SystemTime,
    /// The rule's `suppress: for`.
    pub window: Duration,
    /// How many matches of the combination the object holds (at least 1).
    pub repeats: u64,
}

/// The decision for one [`Sighting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Send one alert, saying `suppressed` repeats were counted since the last one sent.
    Deliver {
        /// Repeats counted since the last alert sent for the combination.
        suppressed: u64,
    },
    /// Counted, not sent.
    Suppressed,
}

/// Why a state call failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Throttled, 5xx, timed out or unreachable after the SDK's retries.
    #[error("state table unavailable: {0}")]
    Unavailable(String),
    /// Anything else: no table, no permission, a malformed request.
    #[error("state table: {0}")]
    Other(String),
}

impl StateError {
    /// Whether the pipeline's `STATE_UNAVAILABLE` policy applies.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StateError::Unavailable(_))
    }
}

/// The few operations the pipeline needs; see the module doc for the protocol. Every call takes
/// a batch and answers in its order.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// Claims each key for `owner` until `now + lease`.
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError>;

    /// Marks the keys delivered (whoever holds them), kept for the store's retention from `now`.
    async fn delivered(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
    ) -> Result<(), StateError>;

    /// Gives back the keys `owner` still holds undelivered; others are left alone.
    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError>;

    /// Decides each sighting, counting the suppressed ones; `now` (wall clock) sets the TTL.
    async fn suppress(
        &self,
        sightings: &[Sighting],
        now: SystemTime,
    ) -> Result<Vec<Suppression>, StateError>;

    /// Stores each correlation slice (replacing the one its origin stored before) and returns,
    /// for each, every slice its group holds, itself included, whose newest record is within
    /// the slice's `keep_ms` of `now` (the correlation clock). Writes come before reads, so of
    /// two objects of one group stored at once, at least the later sees both.
    async fn gather(
        &self,
        slices: &[Slice],
        now: SystemTime,
    ) -> Result<Vec<Vec<Slice>>, StateError>;

    /// Settles each group's triggers into firings, atomically per group ([`correlation::cover`]),
    /// remembering firings for `keep_ms` after them.
    async fn fire(
        &self,
        requests: &[FireRequest],
        now: SystemTime,
    ) -> Result<Vec<Vec<Fired>>, StateError>;
}

/// Milliseconds since the epoch (0 before it), the unit leases and windows are stored in.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The TTL attribute's value: whole seconds, rounded up so an item never expires early.
pub fn epoch_secs_ceil(t: SystemTime) -> u64 {
    epoch_ms(t).div_ceil(1000)
}

/// The inverse of [`epoch_ms`].
pub fn from_epoch_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The window a sighting opens: `[at - window, at + window)`, in epoch milliseconds.
pub(crate) fn window_bounds(s: &Sighting) -> (u64, u64) {
    let at = epoch_ms(s.at);
    let w = u64::try_from(s.window.as_millis()).unwrap_or(u64::MAX);
    (at.saturating_sub(w), at.saturating_add(w))
}

/// A short stable name for an object, so a window's list of counted objects stays small, and
/// a correlation slice's key is short.
pub fn origin_tag(origin: &str) -> String {
    hex(&Sha256::digest(origin.as_bytes())[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combination_digests_keep_values_apart() {
        let key = |values: &[Option<&str>]| SuppressKey {
            rule_id: "r".into(),
            values: values.iter().map(|v| v.map(str::to_owned)).collect(),
        };
        let ab_c = key(&[Some("ab"), Some("c")]).digest();
        assert_ne!(ab_c, key(&[Some("a"), Some("bc")]).digest());
        assert_ne!(key(&[None]).digest(), key(&[Some("")]).digest());
        assert_eq!(ab_c, key(&[Some("ab"), Some("c")]).digest());
        assert_eq!(ab_c.len(), 32);
    }

    #[test]
    fn ttl_seconds_round_up() {
        assert_eq!(epoch_secs_ceil(from_epoch_ms(1_000)), 1);
        assert_eq!(epoch_secs_ceil(from_epoch_ms(1_001)), 2);
    }
}
