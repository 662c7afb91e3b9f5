//! The Lambda entry point: the pipeline with AWS seams, and each trigger's failure contract.
//!
//! - Direct S3, SNS and EventBridge invocations fail when anything could succeed on a retry, so
//!   Lambda retries the event and its on-failure destination keeps it if retries run out.
//! - SQS batches name exactly the messages to redeliver in `batchItemFailures`.
//! - S3 Batch Operations tasks each get `Succeeded`, `TemporaryFailure` or `PermanentFailure`.
//!   They are a backfill: their correlations are judged by event time alone, not the wall clock.
//!
//! Missing and corrupt objects are permanent: logged with the object, counted, never retried.

mod response;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

use crate::config::{ConfigError, Settings};
use crate::correlate::{Clock, CorrelationSettings};
use crate::deliver::{Deliver, SnsDeliver};
use crate::enrich::EnrichStore;
use crate::fetch::ObjectRef;
use crate::fetch::{Fetch, S3Fetch, WithEvents};
use crate::pipeline::{self, Failed, Outcome, Pipeline, Summary};
use crate::rules_source::RuleStore;
use crate::state::{MemoryStore, StateStore};
use crate::trigger::{self, Options, TriggerError};

pub use response::{ItemStatus, Response};

/// Why an invocation fails as a whole, so that Lambda retries it.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is no shape trailwatch knows.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// Some object of a direct invocation could succeed on a retry.
    #[error("{count} object(s) failed and may succeed on retry: {}", summary_json(.summary))]
    Retryable {
        /// Objects that may succeed on a retry.
        count: usize,
        /// The run's summary; its JSON ends the message, as CloudWatch shows it.
        summary: Box<Summary>,
        /// The objects that may succeed on a retry, each with its error, for callers that
        /// walk the error's sources rather than read the message.
        #[source]
        failed: RetryableObjects,
    },
}

/// The objects of a run that failed and may succeed on a retry, each with its error.
#[derive(Debug, thiserror::Error)]
#[error("{}", list(.0))]
pub struct RetryableObjects(pub Vec<Failed>);

fn list(failed: &[Failed]) -> String {
    let each: Vec<String> = failed
        .iter()
        .map(|f| format!("{}: {}", f.object, f.error))
        .collect();
    each.join("; ")
}

fn summary_json(summary: &Summary) -> String {
    serde_json::to_string(summary).unwrap_or_default()
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = match e {
            HandlerError::Trigger(_) => "trailwatch.UnrecognisedPayload",
            HandlerError::Retryable { .. } => "trailwatch.RetryableFailure",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// Time kept back from Lambda's deadline to report what was not finished and publish what was.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// The instant to stop scanning, from Lambda's deadline (milliseconds since the epoch).
fn stop_before(deadline_ms: u64, now: SystemTime, now_instant: Instant) -> Option<Instant> {
    let now_ms = now.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    let remaining = Duration::from_millis(deadline_ms.checked_sub(now_ms)?);
    // Short invocations keep a proportional margin rather than none at all.
    let margin = DEADLINE_MARGIN.min(remaining / 5);
    Some(now_instant + remaining - margin)
}

/// Positions of `objects` grouped by occurrence: every first occurrence, then every second...
fn occurrences(objects: &[ObjectRef]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        let n = seen.entry(object.to_string()).or_default();
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        rounds[*n].push(i);
        *n += 1;
    }
    rounds
}

/// Whether a payload of `kind` is a backfill: an S3 Batch Operations job. Every other shape
/// (S3, SNS, SQS, EventBridge) announces a delivery as it lands.
pub fn is_backfill(kind: &trigger::Kind) -> bool {
    matches!(kind, trigger::Kind::Batch { .. })
}

/// Built once per cold start and reused by every invocation; generic over its seams, so every
/// trigger's failure contract can be tested with in-memory ones.
pub struct Handler {
    fetch: Arc<dyn Fetch>,
    deliver: Arc<dyn Deliver>,
    state: Arc<dyn StateStore>,
    rules: RuleStore,
    /// The enrich stage's data, re-read when an S3 source changes.
    enrich: EnrichStore,
    options: Options,
    pipeline: pipeline::Settings,
    /// How long a backfill's correlation state is kept (`STATE_RETENTION_DAYS`).
    backfill_keep: Duration,
    function_name: String,
}

impl Handler {
    /// The handler over these seams.
    pub fn new(
        fetch: Arc<dyn Fetch>,
        deliver: Arc<dyn Deliver>,
        rules: RuleStore,
        settings: &Settings,
    ) -> Handler {
        Handler {
            // Records that came inside their trigger (EventBridge) are read from it.
            fetch: Arc::new(WithEvents(fetch)),
            deliver,
            state: Arc::new(MemoryStore::new(settings.state_retention)),
            rules,
            enrich: EnrichStore::fixed(Arc::clone(&settings.enricher)),
            options: Options {
                key_prefix: settings.key_prefix.clone(),
            },
            pipeline: settings.pipeline(),
            backfill_keep: settings.state_retention,
            function_name: settings.function_name.clone(),
        }
    }

    /// Keeps claims and suppression windows in `state` (in memory by default).
    pub fn with_state(mut self, state: Arc<dyn StateStore>) -> Handler {
        self.state = state;
        self
    }

    /// The Lambda's handler: S3 in, SNS out, rules fixed or re-read from `RULES_S3_URI`, and
    /// the DynamoDB state table when `STATE_TABLE` names one (tests may run without).
    pub fn aws(sdk: &aws_config::SdkConfig, settings: Settings) -> Handler {
        let s3 = aws_sdk_s3::Client::new(sdk);
        let deliver = SnsDeliver::new(aws_sdk_sns::Client::new(sdk));
        let rules = match settings.rules_s3.clone() {
            Some(uri) => RuleStore::s3(
                Arc::clone(&settings.rules),
                s3.clone(),
                uri,
                settings.rules_refresh,
            ),
            None => RuleStore::fixed(Arc::clone(&settings.rules)),
        };
        let mut handler = Handler::new(
            Arc::new(S3Fetch::new(s3.clone())),
            Arc::new(deliver),
            rules,
            &settings,
        );
        if crate::enrich::any_in_s3(&settings.enrich_sources) {
            handler.enrich = EnrichStore::s3(
                (
                    Arc::clone(&settings.enricher),
                    settings.enrich_downloaded.clone(),
                ),
                s3,
                settings.enrich_sources.clone(),
                settings.rules_refresh,
            );
        }
        match settings.state_store(sdk) {
            Ok(store) => handler.with_state(Arc::new(store)),
            Err(_) => handler,
        }
    }

    /// Reads the standard AWS configuration chain and the environment.
    pub async fn from_env() -> Result<Handler, ConfigError> {
        let sdk = crate::aws::sdk_config().await;
        let settings = Settings::from_env(&sdk).await?;
        // Without the table, alerts on standard topics would be at-least-once: refuse.
        settings.require_state_table()?;
        Ok(Handler::aws(&sdk, settings))
    }

    /// One Lambda invocation, logged under its request id, stopping short of its deadline.
    pub async fn invoke(&self, event: LambdaEvent<Value>) -> Result<Response, HandlerError> {
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id);
        let stop_at = stop_before(event.context.deadline, SystemTime::now(), Instant::now());
        self.run(event.payload, stop_at, &event.context.request_id)
            .instrument(span)
            .await
    }

    /// One payload, with no deadline (tests, local runs).
    pub async fn handle(&self, payload: Value) -> Result<Response, HandlerError> {
        self.handle_until(payload, None).await
    }

    /// Objects not finished by `stop_at` are reported as retryable failures.
    pub async fn handle_until(
        &self,
        payload: Value,
        stop_at: Option<Instant>,
    ) -> Result<Response, HandlerError> {
        self.run(payload, stop_at, &crate::pipeline::unique_owner("local"))
            .await
    }

    /// One payload; `owner` (the request id) names this invocation's claims.
    async fn run(
        &self,
        payload: Value,
        stop_at: Option<Instant>,
        owner: &str,
    ) -> Result<Response, HandlerError> {
        let started = Instant::now();
        let trigger = trigger::parse(&payload, &self.options)?;
        let rules = self.rules.current().await;
        let mut settings = self.settings_for(&trigger.kind);
        settings.enrich = self.enrich.current().await;
        let pipeline = Pipeline::new(
            Arc::clone(&self.fetch),
            Arc::clone(&self.deliver),
            rules,
            settings,
        )
        .state(Arc::clone(&self.state), owner)
        .stop_at(stop_at);
        let objects: Vec<_> = trigger.objects().cloned().collect();
        let mut outcomes: Vec<Option<Outcome>> = objects.iter().map(|_| None).collect();
        // An object named twice in one payload (two notifications in one SQS batch) is scanned
        // again only after the first scan ended, so the second finds its alerts delivered
        // instead of meeting its own invocation's claims.
        for round in occurrences(&objects) {
            let refs: Vec<ObjectRef> = round.iter().map(|&i| objects[i].clone()).collect();
            let mut at = round.iter();
            pipeline
                .run(&refs, |_, outcome| {
                    if let Some(&i) = at.next() {
                        outcomes[i] = Some(outcome);
                    }
                })
                .await;
        }
        let outcomes = outcomes
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let mut response = Response::build(trigger, outcomes);
        response.summary.finish(started);
        self.report(&response.summary);
        let retryable: Vec<Failed> = response
            .summary
            .failed
            .iter()
            .filter(|f| f.retryable)
            .cloned()
            .collect();
        if response.fails_invocation() {
            return Err(HandlerError::Retryable {
                count: retryable.len(),
                summary: Box::new(response.summary),
                failed: RetryableObjects(retryable),
            });
        }
        Ok(response)
    }

    /// The pipeline's settings for a payload of `kind`. S3 Batch Operations only ever name
    /// objects already in the bucket, concurrently and in no order: a backfill, whose
    /// correlations are judged by event time alone ([`Clock::Backfill`]) and whose state is
    /// kept as long as the delivered marks. Live deliveries keep the wall clock and
    /// `CORRELATION_LATENESS`.
    fn settings_for(&self, kind: &trigger::Kind) -> pipeline::Settings {
        let mut settings = self.pipeline.clone();
        if is_backfill(kind) {
            settings.correlation = CorrelationSettings {
                lateness: self.backfill_keep,
                clock: Clock::Backfill,
            };
        }
        settings
    }

    fn report(&self, summary: &Summary) {
        for skip in &summary.skipped {
            tracing::info!(object = %skip.object, reason = %skip.reason, "object skipped");
        }
        let text = serde_json::to_string(summary).unwrap_or_default();
        tracing::info!(summary = %text, "invocation done");
        // EMF lines go to stdout on their own, where CloudWatch turns them into metrics.
        println!(
            "{}",
            crate::metrics::emf(summary, &self.function_name, chrono::Utc::now())
        );
    }
}
