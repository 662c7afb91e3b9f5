//! What a stage does when the state table fails: `STATE_UNAVAILABLE`, applied in one place
//! ([`Health::fail`]) by claims, suppression verdicts and correlation verdicts alike.

use std::time::Duration;

use super::StateError;

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

/// How the pipeline uses the state table.
#[derive(Debug, Clone, Copy)]
pub struct StateSettings {
    /// How long a claim holds before another invocation may take it over.
    pub lease: Duration,
    /// What to do when the table cannot be reached.
    pub unavailable: StateUnavailable,
    /// Whether alerts claim their identity at all. Off only for `scan --every-match` without a
    /// shared table: every match is printed, and remembering each would grow with them.
    pub claims: bool,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            lease: Duration::from_secs(60),
            unavailable: StateUnavailable::Deliver,
            claims: true,
        }
    }
}

/// What a stage does after a failed state call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Go on without the table's answer (claims skipped, nothing suppressed, the object
    /// correlated alone): a duplicate beats a missed page.
    Degrade,
    /// Hold the alerts back: the object is retried.
    HoldBack,
}

/// One object's dealings with the state table: how often it could not be reached, and why
/// the object cannot be acknowledged as clean.
#[derive(Debug)]
pub struct Health {
    policy: StateUnavailable,
    object: String,
    /// State calls that failed because the table could not be reached.
    pub unavailable: u64,
    /// Why the object cannot be acknowledged as clean although its alerts went out (or were
    /// held back): the table failed, or another invocation holds a claim.
    pub not_clean: Option<String>,
}

impl Health {
    /// The health of `object`'s state calls under `policy`.
    pub fn new(policy: StateUnavailable, object: impl Into<String>) -> Self {
        Health {
            policy,
            object: object.into(),
            unavailable: 0,
            not_clean: None,
        }
    }

    /// The table-down policy: after `e`, degrade (an unreachable table under
    /// `STATE_UNAVAILABLE=deliver`; `degraded` says what was done instead) or hold back
    /// (anything else; `held` says what was held). Either way the object is made retryable.
    pub fn fail(&mut self, e: &StateError, degraded: &str, held: &str) -> Fallback {
        if e.is_unavailable() && self.policy == StateUnavailable::Deliver {
            self.note(e, degraded);
            Fallback::Degrade
        } else {
            self.note(e, held);
            Fallback::HoldBack
        }
    }

    /// Notes that the table could not be reached, or refused, while doing `what`.
    pub fn note(&mut self, e: &StateError, what: &str) {
        if e.is_unavailable() {
            self.unavailable += 1;
        }
        tracing::error!(object = %self.object, error = %e, "state table: {what}");
        self.not_clean
            .get_or_insert_with(|| format!("{e} ({what})"));
    }

    /// Makes the object retryable for a reason other than a failed call.
    pub fn not_clean(&mut self, why: impl FnOnce() -> String) {
        self.not_clean.get_or_insert_with(why);
    }
}
