//! The claims seam: which alerts are being sent, by whom, and which went out, so every alert
//! is delivered once however often its record arrives (protocol: [`crate::state`]).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::state::StateError;

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

/// Claims on alert identities. Every call takes a batch and answers in its order.
#[async_trait]
pub trait ClaimStore: Send + Sync {
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
}
