//! What a run did: per object ([`Outcome`]) and in total ([`Summary`]), for the Lambda's
//! response, the CLI's report, the logs and the EMF metrics.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::decode::DecodeError;
use crate::deliver::DeliverError;
use crate::fetch::{FetchError, ObjectRef};
use crate::plan::{PlanStats, RuleTally};
use crate::trigger::Skipped;

/// What one run did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    /// Objects scanned or attempted.
    pub objects: u64,
    /// Records read.
    pub events: u64,
    /// Records that passed the splitter but could not be evaluated (`RecordsUnreadable`).
    pub records_unreadable: u64,
    /// The first of them (ten per object, [`UNREADABLE_NAMED`] in all), named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// Alert messages delivered (one per alert and topic).
    pub alerts: u64,
    /// Digest messages delivered.
    pub digests: u64,
    /// Repeated (eventID, rule) matches within an object, sent once.
    pub duplicates: u64,
    /// Alerts not sent because the state table says they were delivered before: by the other
    /// path (EventBridge or S3), an earlier file, or an earlier attempt (`AlreadyAlerted`).
    pub already_alerted: u64,
    /// Matches of `suppress:` rules counted, not sent (`Suppressed`).
    pub suppressed: u64,
    /// State-table calls that failed because the table could not be reached
    /// (`StateUnavailable`).
    pub state_unavailable: u64,
    /// Correlation alerts delivered (also counted in `alerts`).
    pub correlation_alerts: u64,
    /// Records too late for their correlation window (`CORRELATION_LATENESS`), not counted
    /// (`CorrelationLate`).
    pub correlation_late: u64,
    /// Matches no correlation could count: past the per-object bound, or without an
    /// `eventTime` (`CorrelationDropped`).
    pub correlation_dropped: u64,
    /// Keys that were not scanned, and why.
    pub skipped: Vec<Skipped>,
    /// Objects that could not be scanned in full.
    pub failed: Vec<Failed>,
    /// Objects whose alerts could not all be delivered.
    pub publish_failures: u64,
    /// The earliest `eventTime` among the records read, for the delivery-lag metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_event_time: Option<String>,
    /// Per rule that matched: its title, level and counts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, RuleTally>,
    /// The longest wait from a delivered alert's `eventTime` to its delivery, in seconds
    /// (`DeliveryLagSeconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_lag_seconds: Option<i64>,
    /// From the start of the run to the last delivery, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_delivery_ms: Option<u64>,
    /// When the last delivery happened, for `last_delivery_ms`.
    #[serde(skip)]
    pub last_delivery: Option<Instant>,
    /// Wall time of the run.
    pub elapsed_ms: u64,
}

/// Unreadable records a run names; the rest are only counted.
pub const UNREADABLE_NAMED: usize = 100;

/// A record the rules could not judge, named so that someone can look at it.
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    /// The object it was read from (`s3://bucket/key` or a path).
    pub object: String,
    /// Its `eventID`, where it could be read.
    #[serde(rename = "eventID", skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why the rules could not judge it.
    pub reason: String,
}

/// An object that could not be scanned in full.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    /// The object (`s3://bucket/key` or a path), or the trigger item that named nothing.
    pub object: String,
    /// What went wrong.
    pub error: String,
    /// Whether running again could succeed (throttling, 5xx, a failed delivery).
    pub retryable: bool,
}

/// Why an object was not scanned in full.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The object could not be opened.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// Its content could not be read to the end; the records before the error were checked.
    #[error("{object}: {source}")]
    Decode {
        /// The object.
        object: String,
        /// What the decoder said.
        source: DecodeError,
    },
    /// Some of its alerts were not delivered.
    #[error("{object}: {source}")]
    Deliver {
        /// The object.
        object: String,
        /// What the destination said.
        source: DeliverError,
    },
    /// The state table could not be reached, or another invocation holds a claim: the alerts
    /// that could go out went out, but the object is not acknowledged as clean.
    #[error("{object}: {message}")]
    State {
        /// The object.
        object: String,
        /// What the state table said.
        message: String,
    },
    /// It was stopped by a deadline, or never started.
    #[error("{object}: scan aborted: {message}")]
    Aborted {
        /// The object.
        object: String,
        /// Which limit stopped it.
        message: String,
    },
}

impl ObjectError {
    /// Corrupt content and missing objects stay that way; delivery and transport failures pass.
    pub fn is_retryable(&self) -> bool {
        match self {
            ObjectError::Fetch(e) => e.is_retryable(),
            // Bad gzip or JSON stays bad; a connection that broke mid-body may not.
            ObjectError::Decode {
                source: DecodeError::Read(e),
                ..
            } => !matches!(
                e.kind(),
                std::io::ErrorKind::InvalidData
                    | std::io::ErrorKind::InvalidInput
                    | std::io::ErrorKind::UnexpectedEof
            ),
            ObjectError::Decode { .. } => false,
            ObjectError::Deliver { .. }
            | ObjectError::State { .. }
            | ObjectError::Aborted { .. } => true,
        }
    }
}

/// What scanning one object produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Records read.
    pub events: u64,
    /// Records that could not be evaluated.
    pub unreadable: u64,
    /// The first of them, named.
    pub unreadable_named: Vec<Unreadable>,
    /// What the plan stage did.
    pub plan: PlanStats,
    /// The earliest `eventTime` among the records read.
    pub oldest_event_time: Option<String>,
    /// The longest wait from a delivered alert's `eventTime` to its delivery, in seconds.
    pub max_lag_seconds: Option<i64>,
    /// When its last batch was delivered.
    pub last_delivery: Option<Instant>,
    /// Alert messages delivered (one per alert and topic).
    pub sent_alerts: u64,
    /// Digest messages delivered.
    pub sent_digests: u64,
    /// Alert messages delivered, per rule id.
    pub sent_by_rule: BTreeMap<String, u64>,
    /// Alerts not sent because they were delivered before (another path, file or attempt).
    pub already_alerted: u64,
    /// Matches of `suppress:` rules counted, not sent.
    pub suppressed: u64,
    /// State-table calls that failed because the table could not be reached.
    pub state_unavailable: u64,
    /// What the correlate stage did.
    pub correlation: CorrelationTally,
    /// Why the object was not scanned in full, if it was not.
    pub error: Option<ObjectError>,
}

/// What the correlate stage did for one object.
#[derive(Debug, Default, Clone)]
pub struct CorrelationTally {
    /// Correlation alerts delivered.
    pub alerts: u64,
    /// Records too late for their window.
    pub late: u64,
    /// Matches past the per-object bound or without an `eventTime`.
    pub dropped: u64,
    /// Per correlation id that fired: its title, level and delivered alerts.
    pub rules: BTreeMap<String, RuleTally>,
}

impl Outcome {
    /// An object that failed before any record was read.
    pub fn failed(error: ObjectError) -> Outcome {
        Outcome {
            error: Some(error),
            ..Outcome::default()
        }
    }
}

impl Summary {
    /// Whether any object could succeed if the run were repeated.
    pub fn has_retryable_failures(&self) -> bool {
        self.failed.iter().any(|f| f.retryable)
    }

    /// Ends a run that started at `started`: its wall time and the time to its last delivery.
    pub fn finish(&mut self, started: Instant) {
        self.elapsed_ms = started.elapsed().as_millis() as u64;
        self.last_delivery_ms = self
            .last_delivery
            .map(|t| t.saturating_duration_since(started).as_millis() as u64);
    }

    /// Adds one object's outcome, logging it where an operator will look.
    pub fn record(&mut self, object: &ObjectRef, outcome: Outcome) {
        self.objects += 1;
        self.events += outcome.events;
        self.records_unreadable += outcome.unreadable;
        let room = UNREADABLE_NAMED.saturating_sub(self.unreadable.len());
        self.unreadable
            .extend(outcome.unreadable_named.into_iter().take(room));
        self.alerts += outcome.sent_alerts;
        self.digests += outcome.sent_digests;
        self.duplicates += outcome.plan.duplicates;
        self.already_alerted += outcome.already_alerted;
        self.suppressed += outcome.suppressed;
        self.state_unavailable += outcome.state_unavailable;
        self.correlation_alerts += outcome.correlation.alerts;
        self.correlation_late += outcome.correlation.late;
        self.correlation_dropped += outcome.correlation.dropped;
        for (id, tally) in outcome.correlation.rules {
            let into = self.rules.entry(id).or_insert_with(|| RuleTally {
                title: tally.title.clone(),
                level: tally.level,
                ..RuleTally::default()
            });
            into.matches += tally.matches;
            into.alerted += tally.alerted;
        }
        for (id, tally) in outcome.plan.rules {
            // Delivered, not planned: an alert found delivered before is not counted again.
            let sent = outcome.sent_by_rule.get(&id).copied().unwrap_or(0);
            let into = self.rules.entry(id).or_insert_with(|| RuleTally {
                title: tally.title.clone(),
                level: tally.level,
                ..RuleTally::default()
            });
            into.matches += tally.matches;
            into.alerted += sent;
            into.digested += tally.digested;
        }
        if let Some(lag) = outcome.max_lag_seconds {
            self.delivery_lag_seconds = Some(self.delivery_lag_seconds.map_or(lag, |l| l.max(lag)));
        }
        if let Some(t) = outcome.last_delivery {
            self.last_delivery = Some(self.last_delivery.map_or(t, |l| l.max(t)));
        }
        if let Some(time) = outcome.oldest_event_time {
            if self.oldest_event_time.as_ref().is_none_or(|t| time < *t) {
                self.oldest_event_time = Some(time);
            }
        }
        match outcome.error {
            None => tracing::info!(
                bucket = object.bucket(), key = %object.key(), events = outcome.events,
                alerts = outcome.sent_alerts, digests = outcome.sent_digests,
                already_alerted = outcome.already_alerted,
                unreadable = outcome.unreadable, "object scanned"
            ),
            Some(e) => {
                let retryable = e.is_retryable();
                if matches!(e, ObjectError::Deliver { .. }) {
                    self.publish_failures += 1;
                }
                tracing::error!(
                    bucket = object.bucket(), key = %object.key(), error = %e, retryable, "object failed"
                );
                self.failed.push(Failed {
                    object: object.to_string(),
                    error: e.to_string(),
                    retryable,
                });
            }
        }
    }
}
