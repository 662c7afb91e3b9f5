//! The stages wired for a list of objects: fetch → decode → matching → render → publish.
//!
//! Decoding and matching are CPU work on a blocking reader, so they run on a blocking thread fed
//! by the async fetch stream; the async side stays free to talk to AWS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use tokio_util::io::SyncIoBridge;

use crate::decode::{self, DecodeError};
use crate::fetch::{Fetch, FetchError, ObjectRef};
use crate::matching::{Matcher, Observed};
use crate::publish::{Publish, PublishError};
use crate::render::Alert;
use crate::rules::RuleSet;
use crate::trigger::Skipped;

/// What one run did, for the Lambda's response, the CLI's stderr and the logs.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Summary {
    pub objects: u64,
    pub events: u64,
    pub alerts: u64,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<Failed>,
    /// Objects whose alerts could not all be published.
    pub publish_failures: u64,
    /// The earliest `eventTime` among the records read, for the delivery-lag metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_event_time: Option<String>,
    pub elapsed_ms: u64,
}

/// An object that could not be scanned in full.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    pub object: String,
    pub error: String,
    /// Whether running again could succeed (throttling, 5xx, a failed publish).
    pub retryable: bool,
}

impl Summary {
    pub fn has_retryable_failures(&self) -> bool {
        self.failed.iter().any(|f| f.retryable)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{object}: {source}")]
    Decode { object: String, source: DecodeError },
    #[error("{object}: {source}")]
    Publish {
        object: String,
        source: PublishError,
    },
    #[error("{object}: scan aborted: {message}")]
    Aborted { object: String, message: String },
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
            ObjectError::Publish { .. } | ObjectError::Aborted { .. } => true,
        }
    }
}

/// What scanning one object produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub events: u64,
    pub alerts: u64,
    pub oldest_event_time: Option<String>,
    pub error: Option<ObjectError>,
}

/// The stages, with the I/O seams chosen by the caller.
pub struct Pipeline {
    fetch: Arc<dyn Fetch>,
    rules: Arc<RuleSet>,
    publish: Arc<dyn Publish>,
    /// Past this instant no object is started and running ones are abandoned, as retryable
    /// failures, so the invocation reports them before Lambda's own limit kills it silently.
    stop_at: Option<tokio::time::Instant>,
    /// How long one object may take (`OBJECT_TIMEOUT_SECONDS`): a stalled body or a slow
    /// hostile file fails alone, as retryable, instead of holding the invocation to its limit.
    object_timeout: Option<Duration>,
    limits: decode::Limits,
}

/// Default for `OBJECT_TIMEOUT_SECONDS`: a 1 GB delivery decodes in well under a minute.
pub const DEFAULT_OBJECT_TIMEOUT: Duration = Duration::from_secs(120);

impl Pipeline {
    pub fn new(fetch: Arc<dyn Fetch>, rules: Arc<RuleSet>, publish: Arc<dyn Publish>) -> Self {
        Pipeline {
            fetch,
            rules,
            publish,
            stop_at: None,
            object_timeout: None,
            limits: decode::Limits::default(),
        }
    }

    /// Sets the longest one object may take; `None` (the default, as the CLI runs) leaves only
    /// the invocation's deadline.
    pub fn object_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.object_timeout = timeout;
        self
    }

    /// Sets the decompressed-size and record-size bounds for every object.
    pub fn limits(mut self, limits: decode::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the instant after which objects are reported as not scanned (retryable).
    pub fn stop_at(mut self, at: std::time::Instant) -> Self {
        self.stop_at = Some(at.into());
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scans every object, recording each outcome in `summary`.
    pub async fn run(&self, objects: &[ObjectRef], concurrency: usize, summary: &mut Summary) {
        self.run_with(objects, concurrency, summary, |_, _| {})
            .await
    }

    /// [`Pipeline::run`], calling `on_object` as each object finishes (for progress bars).
    pub async fn run_with(
        &self,
        objects: &[ObjectRef],
        concurrency: usize,
        summary: &mut Summary,
        mut on_object: impl FnMut(&ObjectRef, &Outcome),
    ) {
        let started = Instant::now();
        let mut outcomes = futures::stream::iter(objects.iter().map(|object| self.process(object)))
            .buffered(concurrency.max(1));
        let mut objects = objects.iter();
        while let (Some(outcome), Some(object)) = (outcomes.next().await, objects.next()) {
            on_object(object, &outcome);
            summary.record(object, outcome);
        }
        summary.elapsed_ms += started.elapsed().as_millis() as u64;
    }

    /// Scans up to `concurrency` objects at once; outcomes come back in the objects' order.
    /// Memory stays bounded: only that many streams and their alerts are in flight.
    pub async fn scan_all(&self, objects: &[ObjectRef], concurrency: usize) -> Vec<Outcome> {
        futures::stream::iter(objects.iter().map(|object| self.process(object)))
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    /// Scans one object. Alerts found before a decode error are still published.
    pub async fn process(&self, object: &ObjectRef) -> Outcome {
        let aborted = |message: &str| Outcome {
            error: Some(ObjectError::Aborted {
                object: object.to_string(),
                message: message.into(),
            }),
            ..Outcome::default()
        };
        let now = tokio::time::Instant::now();
        if self.stop_at.is_some_and(|at| now >= at) {
            return aborted("not started: the invocation is near its time limit");
        }
        // Whichever comes first, the invocation's deadline or this object's own.
        let own = self.object_timeout.map(|t| now + t);
        let (until, why) = match (self.stop_at, own) {
            (Some(stop), Some(own)) if own < stop => (own, ObjectStop::Timeout),
            (Some(stop), _) => (stop, ObjectStop::Deadline),
            (None, Some(own)) => (own, ObjectStop::Timeout),
            (None, None) => return self.scan_object(object).await,
        };
        match tokio::time::timeout_at(until, self.scan_object(object)).await {
            Ok(outcome) => outcome,
            Err(_) => match why {
                ObjectStop::Deadline => aborted("stopped: the invocation reached its time limit"),
                ObjectStop::Timeout => aborted(&format!(
                    "stopped: the object took longer than {}s (OBJECT_TIMEOUT_SECONDS)",
                    self.object_timeout.unwrap_or_default().as_secs_f64()
                )),
            },
        }
    }

    async fn scan_object(&self, object: &ObjectRef) -> Outcome {
        let reader = match self.fetch.open(object).await {
            Ok(reader) => reader,
            Err(e) => {
                return Outcome {
                    error: Some(e.into()),
                    ..Outcome::default()
                }
            }
        };
        // Dropping this future (deadline) cancels the token, which ends the blocking reader.
        let token = tokio_util::sync::CancellationToken::new();
        let _cancel_on_drop = token.clone().drop_guard();
        let reader = SyncIoBridge::new(crate::fetch::Cancellable::new(reader, token));
        let rules = Arc::clone(&self.rules);
        let source = object.clone();
        let limits = self.limits;
        let scanned =
            tokio::task::spawn_blocking(move || scan(reader, &rules, &source, limits)).await;
        let (events, alerts, seen, decoded) = match scanned {
            Ok(scanned) => scanned,
            Err(e) => {
                let error = ObjectError::Aborted {
                    object: object.to_string(),
                    message: e.to_string(),
                };
                return Outcome {
                    error: Some(error),
                    ..Outcome::default()
                };
            }
        };
        let mut outcome = Outcome {
            events,
            alerts: alerts.len() as u64,
            oldest_event_time: seen.oldest_event_time,
            error: None,
        };
        for alert in &alerts {
            tracing::info!(
                rule_id = %alert.rule.id, event_id = alert.field("eventID").unwrap_or("?"),
                bucket = object.bucket(), key = %object.key(), "alert"
            );
        }
        if let Err(source) = self.publish.publish(&alerts).await {
            outcome.error = Some(ObjectError::Publish {
                object: object.to_string(),
                source,
            });
        } else if let Err(source) = decoded {
            outcome.error = Some(ObjectError::Decode {
                object: object.to_string(),
                source,
            });
        }
        outcome
    }
}

/// Which clock stopped an object.
enum ObjectStop {
    Deadline,
    Timeout,
}

/// Decodes and matches one object on the current (blocking) thread.
fn scan(
    reader: impl std::io::Read + Send,
    rules: &RuleSet,
    source: &ObjectRef,
    limits: decode::Limits,
) -> (u64, Vec<Alert>, Observed, Result<(), DecodeError>) {
    let matcher = Matcher::new(rules);
    let mut seen = Observed::default();
    let mut hits = Vec::new();
    let mut alerts = Vec::new();
    let mut events = 0u64;
    let decoded = decode::records_with(reader, limits, |raw| {
        events += 1;
        if let Some(record) = matcher.check(raw, &mut hits, &mut seen) {
            for rule in &hits {
                alerts.push(Alert::new(rule, record.clone(), source.clone()));
            }
        }
    });
    (events, alerts, seen, decoded)
}

impl Summary {
    /// Adds one object's outcome, logging it where an operator will look.
    pub fn record(&mut self, object: &ObjectRef, outcome: Outcome) {
        self.objects += 1;
        self.events += outcome.events;
        self.alerts += outcome.alerts;
        if let Some(time) = outcome.oldest_event_time {
            if self.oldest_event_time.as_ref().is_none_or(|t| time < *t) {
                self.oldest_event_time = Some(time);
            }
        }
        match outcome.error {
            None => tracing::info!(
                bucket = object.bucket(), key = %object.key(), events = outcome.events,
                alerts = outcome.alerts, "object scanned"
            ),
            Some(e) => {
                let retryable = e.is_retryable();
                if matches!(e, ObjectError::Publish { .. }) {
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
