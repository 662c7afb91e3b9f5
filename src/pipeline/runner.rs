//! The pipeline over a list of objects: concurrency, deadlines, and each object's attempt.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;

use super::object;
use super::settings::Settings;
use super::summary::{ObjectError, Outcome, Summary};
use crate::correlate::CorrelationClock;
use crate::deliver::{Deliver, Delivery, Flight, PUBLISH_GRACE};
use crate::fetch::{Fetch, ObjectRef};
use crate::rules::RuleSet;
use crate::state::{MemoryStore, StateStore, DEFAULT_RETENTION};
use crate::verdict::Seams;

/// A claim owner for runs that name none.
fn default_owner() -> String {
    unique_owner("run")
}

/// A claim owner no other run shares: the process, the time and a count within the process.
/// The process id alone is not enough: two containers both run as pid 1, and two handlers in
/// one process each count from zero.
pub fn unique_owner(prefix: &str) -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}-{n}", std::process::id())
}

/// The stages, with the I/O seams chosen by the caller.
pub struct Pipeline {
    fetch: Arc<dyn Fetch>,
    deliver: Arc<dyn Deliver>,
    rules: Arc<RuleSet>,
    settings: Arc<Settings>,
    /// What is remembered across objects and runs: claims, suppression and correlation
    /// windows.
    state: Arc<dyn StateStore>,
    /// Names this run's claims; each object attempt adds its own number.
    owner: String,
    attempts: AtomicU64,
    /// The clock correlation windows are judged on.
    clock: CorrelationClock,
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
            clock: CorrelationClock::new(settings.correlation),
            settings: Arc::new(settings),
            state: Arc::new(MemoryStore::new(DEFAULT_RETENTION)),
            owner: default_owner(),
            attempts: AtomicU64::new(0),
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
    fn delivery<'a>(&'a self, object: &ObjectRef, flight: &'a Flight) -> Delivery<'a> {
        let n = self.attempts.fetch_add(1, Ordering::Relaxed);
        Delivery::new(
            self.deliver.as_ref(),
            self.state.as_ref(),
            self.settings.state,
            flight,
            format!("{}#{n}", self.owner),
            object.to_string(),
        )
    }

    /// One attempt at a unit of `objects`, whose batches in flight `flight` counts.
    async fn scan(&self, objects: &[ObjectRef], flight: &Flight) -> Vec<Outcome> {
        let stages = object::Stages {
            fetch: self.fetch.as_ref(),
            rules: &self.rules,
            settings: &self.settings,
            verdicts: Seams {
                suppressions: self.state.as_ref(),
                correlations: self.state.as_ref(),
            },
            clock: &self.clock,
        };
        match objects {
            [object] => vec![object::scan(&stages, self.delivery(object, flight), object).await],
            _ => {
                let deliveries = objects.iter().map(|o| self.delivery(o, flight)).collect();
                object::scan_together(&stages, deliveries, objects).await
            }
        }
    }

    /// Objects whose stream found the correlation clock's table full
    /// ([`crate::correlate::MAX_STREAMS`]): judged on one shared clock.
    pub fn clock_overflow(&self) -> u64 {
        self.clock.overflow()
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
    /// objects' order (so alerts and summaries stay in a deterministic order). Records that
    /// arrived in their trigger (EventBridge events) are scanned [`UNIT_EVENTS`] at a time as
    /// one unit, whose verdicts are asked at once.
    pub async fn run(&self, objects: &[ObjectRef], mut each: impl FnMut(&ObjectRef, Outcome)) {
        let units = units(objects);
        let mut outcomes = futures::stream::iter(units.iter().map(|unit| {
            let members: Vec<ObjectRef> = unit.iter().map(|&i| objects[i].clone()).collect();
            async move { self.process_all(&members).await }
        }))
        .buffered(self.settings.concurrency.max(1));
        let mut ready: Vec<Option<Outcome>> = objects.iter().map(|_| None).collect();
        let mut next = 0;
        let mut units = units.iter();
        while let (Some(done), Some(unit)) = (outcomes.next().await, units.next()) {
            for (&i, outcome) in unit.iter().zip(done) {
                ready[i] = Some(outcome);
            }
            while let Some(outcome) = ready.get_mut(next).and_then(Option::take) {
                each(&objects[next], outcome);
                next += 1;
            }
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
        let mut outcomes = self.process_all(std::slice::from_ref(object)).await;
        outcomes.pop().unwrap_or_default()
    }

    /// Scans one unit (one object, or events read together) within the run's deadline and
    /// the object timeout; an outcome per object, in order.
    async fn process_all(&self, objects: &[ObjectRef]) -> Vec<Outcome> {
        let aborted = |message: &str| -> Vec<Outcome> {
            objects
                .iter()
                .map(|object| {
                    Outcome::failed(ObjectError::Aborted {
                        object: object.to_string(),
                        message: message.to_owned(),
                    })
                })
                .collect()
        };
        let now = tokio::time::Instant::now();
        if self.stop_at.is_some_and(|at| now >= at) {
            return aborted("not started: the invocation is near its time limit");
        }
        let timeout = self.settings.object_timeout;
        let own = timeout.map(|t| now + t);
        let (until, own_first) = match (self.stop_at, own) {
            (Some(stop), Some(own)) if own < stop => (own, true),
            (Some(stop), _) => (stop, false),
            (None, Some(own)) => (own, true),
            (None, None) => return self.scan(objects, &Flight::default()).await,
        };
        let flight = Flight::default();
        let scan = self.scan(objects, &flight);
        tokio::pin!(scan);
        if let Ok(outcomes) = tokio::time::timeout_at(until, &mut scan).await {
            return outcomes;
        }
        // A batch SNS may already have taken is let finish and be marked delivered (for a
        // while), so the retry skips it instead of sending it again; no other batch starts.
        let landed = async {
            tokio::select! {
                _ = &mut scan => {}
                () = flight.stop() => {}
            }
        };
        let _ = tokio::time::timeout(PUBLISH_GRACE, landed).await;
        if own_first {
            aborted(&format!(
                "stopped: the object took longer than {}s (OBJECT_TIMEOUT_SECONDS)",
                timeout.unwrap_or_default().as_secs_f64()
            ))
        } else {
            aborted("stopped: the invocation reached its time limit")
        }
    }
}

/// Events scanned as one unit at most: their verdicts are one round of state calls.
pub const UNIT_EVENTS: usize = 100;

/// The units `objects` are scanned in, as indices: each object alone, save for records that
/// arrived in their trigger, read together [`UNIT_EVENTS`] at a time.
fn units(objects: &[ObjectRef]) -> Vec<Vec<usize>> {
    let is_event = |o: &ObjectRef| matches!(o, ObjectRef::Event { .. });
    let events: Vec<usize> = (0..objects.len())
        .filter(|&i| is_event(&objects[i]))
        .collect();
    let mut units: Vec<Vec<usize>> = events.chunks(UNIT_EVENTS).map(<[usize]>::to_vec).collect();
    units.extend(
        (0..objects.len())
            .filter(|&i| !is_event(&objects[i]))
            .map(|i| vec![i]),
    );
    units.sort_by_key(|u| u.first().copied());
    units
}
