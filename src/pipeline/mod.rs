//! The stages wired for a list of objects:
//! `fetch → decode → match → plan → deliver`, the same for the Lambda and the CLI.
//!
//! Decoding, matching and planning are CPU work on a blocking reader, so they run on a blocking
//! thread fed by the async fetch stream. Planned batches cross back over a bounded channel and
//! are delivered while the object is still being read: memory stays flat whatever the number of
//! matches, and a big file's first alerts leave before it ends.

mod clock;
mod delivery;
mod fence;
mod object;
mod summary;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::correlate::CorrelationSettings;
use crate::decode;
use crate::deliver::Deliver;
use crate::fetch::{Fetch, ObjectRef};
use crate::plan::PlanSettings;
use crate::rules::RuleSet;
use crate::state::{MemoryStore, StateStore, DEFAULT_RETENTION};

/// A claim owner for runs that name none.
fn default_owner() -> String {
    unique_owner("run")
}

/// A claim owner no other run shares: the process, the time and a count within the process.
/// The process id alone is not enough: two containers both run as pid 1, and two handlers in
/// one process each count from zero.
pub fn unique_owner(prefix: &str) -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

pub use clock::MAX_STREAMS;
pub use delivery::StateSettings;
pub use summary::{
    CorrelationTally, Failed, ObjectError, Outcome, Summary, Unreadable, UNREADABLE_NAMED,
};

/// Objects the function scans at once when `MAX_CONCURRENCY` is unset.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Default for `OBJECT_TIMEOUT_SECONDS`: a 1 GB delivery decodes in well under a minute.
pub const DEFAULT_OBJECT_TIMEOUT: Duration = Duration::from_secs(120);

/// How objects are scanned and their matches planned.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Decompressed-size and record-size bounds for every object.
    pub limits: decode::Limits,
    /// How long one object may take (`OBJECT_TIMEOUT_SECONDS`): a stalled body or a slow
    /// hostile file fails alone, as retryable, instead of holding the run to its limit.
    pub object_timeout: Option<Duration>,
    /// Objects in flight at once.
    pub concurrency: usize,
    /// How matches become messages.
    pub plan: PlanSettings,
    /// How delivery uses the state table.
    pub state: StateSettings,
    /// Lateness and clock of correlation windows.
    pub correlation: CorrelationSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: decode::Limits::default(),
            object_timeout: Some(DEFAULT_OBJECT_TIMEOUT),
            concurrency: DEFAULT_CONCURRENCY,
            plan: PlanSettings::default(),
            state: StateSettings::default(),
            correlation: CorrelationSettings::default(),
        }
    }
}

/// The stages, with the I/O seams chosen by the caller.
pub struct Pipeline {
    fetch: Arc<dyn Fetch>,
    deliver: Arc<dyn Deliver>,
    rules: Arc<RuleSet>,
    settings: Arc<Settings>,
    /// What is remembered across objects and runs: claims and suppression windows.
    state: Arc<dyn StateStore>,
    /// Names this run's claims; each object attempt adds its own number.
    owner: String,
    attempts: AtomicU64,
    /// The newest eventTime correlated so far per stream: the clock of [`Clock::EventTime`](crate::correlate::Clock).
    watermarks: clock::Watermarks,
    /// Past this instant no object is started and running ones are abandoned, as retryable
    /// failures, so the invocation reports them before Lambda's own limit kills it silently.
    stop_at: Option<tokio::time::Instant>,
}

impl Pipeline {
    /// The stages over these seams.
    pub fn new(
        fetch: Arc<dyn Fetch>,
        deliver: Arc<dyn Deliver>,
        rules: Arc<RuleSet>,
        settings: Settings,
    ) -> Self {
        Pipeline {
            fetch,
            deliver,
            rules,
            settings: Arc::new(settings),
            state: Arc::new(MemoryStore::new(DEFAULT_RETENTION)),
            owner: default_owner(),
            attempts: AtomicU64::new(0),
            watermarks: clock::Watermarks::default(),
            stop_at: None,
        }
    }

    /// Keeps claims and suppression windows in `state` (by default, in memory for this run),
    /// naming this run's claims `owner` (an invocation's request id, say).
    pub fn state(mut self, state: Arc<dyn StateStore>, owner: impl Into<String>) -> Self {
        self.state = state;
        self.owner = owner.into();
        self
    }

    /// The delivery of one object attempt, with an owner no other attempt shares.
    fn delivery<'a>(
        &'a self,
        object: &ObjectRef,
        flight: &'a fence::Flight,
    ) -> delivery::Delivery<'a> {
        let n = self.attempts.fetch_add(1, Ordering::Relaxed);
        delivery::Delivery {
            deliver: self.deliver.as_ref(),
            state: self.state.as_ref(),
            settings: self.settings.state,
            flight,
            owner: format!("{}#{n}", self.owner),
            object: object.to_string(),
            undelivered: None,
            not_clean: None,
            sent: (0, 0),
            sent_by_rule: Default::default(),
            already_alerted: 0,
            state_unavailable: 0,
            max_lag_seconds: None,
            last: None,
        }
    }

    /// The correlation clock for `object`, whose correlated records span `oldest_ms` to
    /// `newest_ms`. On event time, an object is judged by what its stream (account, region)
    /// read before it: its records arrive together, so none is late for another, a file
    /// spanning days (an export, a merged backfill) is not cut to its last hour, and one
    /// region's day read before another's does not make the other's late.
    fn correlation_now(
        &self,
        object: &ObjectRef,
        oldest_ms: i64,
        newest_ms: i64,
    ) -> std::time::SystemTime {
        match self.settings.correlation.clock {
            crate::correlate::Clock::Wall => std::time::SystemTime::now(),
            crate::correlate::Clock::EventTime => {
                let ms = self.watermarks.advance(object, oldest_ms, newest_ms);
                crate::state::from_epoch_ms(u64::try_from(ms.max(0)).unwrap_or(0))
            }
            // The epoch: with a lateness of the state's retention, no record is before the
            // floor and the store keeps every slice and firing until their wall-clock expiry.
            crate::correlate::Clock::Backfill => std::time::UNIX_EPOCH,
        }
    }

    /// Objects whose stream found the correlation clock's table full ([`clock::MAX_STREAMS`]):
    /// judged on one shared clock.
    pub fn clock_overflow(&self) -> u64 {
        self.watermarks.overflow()
    }

    /// Sets the instant after which objects are reported as not scanned (retryable).
    pub fn stop_at(mut self, at: Option<Instant>) -> Self {
        self.stop_at = at.map(Into::into);
        self
    }

    /// The rules in force.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Scans every object, up to `concurrency` at once, handing each outcome to `each` in the
    /// objects' order (so alerts and summaries stay in a deterministic order).
    pub async fn run(&self, objects: &[ObjectRef], mut each: impl FnMut(&ObjectRef, Outcome)) {
        let mut outcomes = futures::stream::iter(objects.iter().map(|o| self.process(o)))
            .buffered(self.settings.concurrency.max(1));
        let mut objects = objects.iter();
        while let (Some(outcome), Some(object)) = (outcomes.next().await, objects.next()) {
            each(object, outcome);
        }
    }

    /// [`Pipeline::run`] into a [`Summary`].
    pub async fn summarise(&self, objects: &[ObjectRef]) -> Summary {
        let started = Instant::now();
        let mut summary = Summary::default();
        self.run(objects, |object, outcome| summary.record(object, outcome))
            .await;
        summary.finish(started);
        summary
    }

    /// Scans one object within the run's deadline and the object's own timeout.
    pub async fn process(&self, object: &ObjectRef) -> Outcome {
        let aborted = |message: String| {
            Outcome::failed(ObjectError::Aborted {
                object: object.to_string(),
                message,
            })
        };
        let now = tokio::time::Instant::now();
        if self.stop_at.is_some_and(|at| now >= at) {
            return aborted("not started: the invocation is near its time limit".into());
        }
        let timeout = self.settings.object_timeout;
        let own = timeout.map(|t| now + t);
        let (until, own_first) = match (self.stop_at, own) {
            (Some(stop), Some(own)) if own < stop => (own, true),
            (Some(stop), _) => (stop, false),
            (None, Some(own)) => (own, true),
            (None, None) => return object::scan(self, object, &fence::Flight::default()).await,
        };
        let flight = fence::Flight::default();
        let scan = object::scan(self, object, &flight);
        tokio::pin!(scan);
        if let Ok(outcome) = tokio::time::timeout_at(until, &mut scan).await {
            return outcome;
        }
        // A batch SNS may already have taken is let finish and be marked delivered (for a
        // while), so the retry skips it instead of sending it again; no other batch starts.
        let landed = async {
            tokio::select! {
                _ = &mut scan => {}
                () = flight.stop() => {}
            }
        };
        let _ = tokio::time::timeout(fence::PUBLISH_GRACE, landed).await;
        if own_first {
            aborted(format!(
                "stopped: the object took longer than {}s (OBJECT_TIMEOUT_SECONDS)",
                timeout.unwrap_or_default().as_secs_f64()
            ))
        } else {
            aborted("stopped: the invocation reached its time limit".into())
        }
    }
}
