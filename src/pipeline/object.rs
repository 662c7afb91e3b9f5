//! One object through the stages: fetched, then decoded, matched, collected for correlation
//! and planned on a blocking thread, while this task delivers each batch the plan hands over;
//! then the object's held `suppress:` combinations and correlation slices get their verdicts,
//! and the alerts those release are planned and delivered.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::mpsc;
use tokio_util::io::SyncIoBridge;

use super::settings::Settings;
use super::summary::{CorrelationTally, ObjectError, Outcome, Unreadable};
use crate::correlate::{Collected, CorrelationClock, Correlator, Settled};
use crate::decode::{self, DecodeError};
use crate::deliver::Delivery;
use crate::fetch::{Cancellable, Fetch, ObjectRef};
use crate::matching::{Checked, Matcher, Observed};
use crate::plan::{self, Batch, Held, PlanSettings, PlanStats, Planner, RuleTally, Sighting};
use crate::rules::RuleSet;
use crate::verdict::{self, Seams, Uncounted};

/// What one object's scan runs on: the run's seams, rules, settings and clock.
pub(super) struct Stages<'a> {
    pub fetch: &'a dyn Fetch,
    pub rules: &'a Arc<RuleSet>,
    pub settings: &'a Arc<Settings>,
    pub verdicts: Seams<'a>,
    pub clock: &'a CorrelationClock,
}

/// Batches waiting for delivery: the decoder pauses when they are not taken.
const IN_FLIGHT: usize = 4;
/// Unreadable records logged and named one by one per object; the rest are only counted.
const UNREADABLE_NAMED: u64 = 10;
/// Correlation alerts rendered and sent at a time (a multiple of SNS's batch of 10): an
/// object can fire thousands of groups, and each alert renders to kilobytes in three forms.
const RENDER_CHUNK: usize = 100;

/// What the blocking side found.
struct Scanned {
    events: u64,
    unreadable: u64,
    named: Vec<Unreadable>,
    plan: PlanStats,
    held: Vec<Held>,
    seen: Observed,
    correlated: Collected,
    decoded: Result<(), DecodeError>,
}

/// Scans `object`. Alerts found before a decode error are still delivered.
pub(super) async fn scan(
    pipeline: &Stages<'_>,
    mut delivery: Delivery<'_>,
    object: &ObjectRef,
) -> Outcome {
    let reader = match pipeline.fetch.open(object).await {
        Ok(reader) => reader,
        Err(e) => return Outcome::failed(e.into()),
    };
    // Dropping this future (deadline) cancels the token, which ends the blocking reader.
    let token = tokio_util::sync::CancellationToken::new();
    let _cancel_on_drop = token.clone().drop_guard();
    let reader = SyncIoBridge::new(Cancellable::new(reader, token));
    let (tx, mut rx) = mpsc::channel(IN_FLIGHT);
    let rules = Arc::clone(pipeline.rules);
    let settings = Arc::clone(pipeline.settings);
    let source = object.clone();
    let scanning = tokio::task::spawn_blocking(move || {
        decode_match_plan(reader, &rules, &settings.plan, settings.limits, source, &tx)
    });
    while let Some(batch) = rx.recv().await {
        delivery.send(batch).await;
    }
    let scanned = match scanning.await {
        Ok(scanned) => scanned,
        Err(e) => {
            return Outcome::failed(ObjectError::Aborted {
                object: object.to_string(),
                message: e.to_string(),
            })
        }
    };
    let origin = object.to_string();
    let now = SystemTime::now();
    let sightings: Vec<Sighting> = scanned
        .held
        .iter()
        .map(|h| h.sighting(&origin, now))
        .collect();
    let (verdicts, uncounted) = verdict::ask(
        pipeline.verdicts,
        &mut delivery.health,
        &sightings,
        scanned.correlated,
        pipeline.rules,
        pipeline.clock,
        object,
    )
    .await;
    let plan = &pipeline.settings.plan;
    let mut batches = Vec::new();
    let suppressed = verdicts
        .suppression
        .map_or(0, |d| plan::release(scanned.held, &d, plan, &mut batches));
    for batch in batches.drain(..) {
        delivery.send(batch).await;
    }
    for chunk in verdicts.correlation.alerts.chunks(RENDER_CHUNK) {
        plan::correlations(chunk, plan, &mut batches);
        for batch in batches.drain(..) {
            delivery.send(batch).await;
        }
    }
    let correlation = tally(
        &verdicts.correlation,
        uncounted,
        &delivery.sent_by_correlation,
    );
    let object = object.to_string();
    let error = match (
        delivery.undelivered(),
        scanned.decoded,
        delivery.health.not_clean,
    ) {
        (Some(source), _, _) => Some(ObjectError::Deliver { object, source }),
        (None, Err(source), _) => Some(ObjectError::Decode { object, source }),
        (None, Ok(()), Some(message)) => Some(ObjectError::State { object, message }),
        (None, Ok(()), None) => None,
    };
    Outcome {
        events: scanned.events,
        unreadable: scanned.unreadable,
        unreadable_named: scanned.named,
        plan: scanned.plan,
        oldest_event_time: scanned.seen.oldest_event_time,
        max_lag_seconds: delivery.max_lag_seconds,
        last_delivery: delivery.last,
        sent_alerts: delivery.sent.0,
        sent_digests: delivery.sent.1,
        sent_by_rule: delivery.sent_by_rule,
        already_alerted: delivery.already_alerted,
        suppressed,
        state_unavailable: delivery.health.unavailable,
        correlation,
        error,
    }
}

/// Decodes, matches and plans one object on the current (blocking) thread, handing each full
/// batch to `tx` as soon as the plan makes it.
fn decode_match_plan(
    reader: impl std::io::Read + Send,
    rules: &RuleSet,
    settings: &PlanSettings,
    limits: decode::Limits,
    source: ObjectRef,
    tx: &mpsc::Sender<Batch>,
) -> Scanned {
    let matcher = Matcher::new(rules);
    let mut planner = Planner::new(settings, source.clone());
    let mut correlator = Correlator::new(rules);
    let mut seen = Observed::default();
    let mut hits = Vec::new();
    let mut ready = Vec::new();
    let (mut events, mut unreadable, mut named) = (0u64, 0u64, Vec::new());
    // Once the receiver is gone (deadline), batches are no longer handed over.
    let mut open = true;
    let mut hand_over = |ready: &mut Vec<Batch>| {
        for batch in ready.drain(..) {
            open = open && tx.blocking_send(batch).is_ok();
        }
    };
    let decoded = decode::records_with(reader, limits, |raw| {
        events += 1;
        match matcher.check(raw, &mut hits, &mut seen) {
            Checked::NoMatch => {}
            Checked::Matched(record) => {
                for rule in &hits {
                    if rule.alerts {
                        planner.add(rule, &record, &mut ready);
                    }
                    if !rule.feeds().is_empty() {
                        correlator.add(rule, &record);
                    }
                }
                hand_over(&mut ready);
            }
            Checked::Unreadable { event_id, error } => {
                unreadable += 1;
                if unreadable <= UNREADABLE_NAMED {
                    tracing::warn!(
                        object = %source, event_id = event_id.as_deref().unwrap_or("?"), %error,
                        "record could not be evaluated: counted as unreadable"
                    );
                    named.push(Unreadable {
                        object: source.to_string(),
                        event_id,
                        reason: error,
                    });
                }
            }
        }
    });
    let finished = planner.finish(&mut ready);
    hand_over(&mut ready);
    let origin = crate::state::origin_tag(&source.to_string());
    Scanned {
        events,
        unreadable,
        named,
        plan: finished.stats,
        held: finished.held,
        seen,
        correlated: correlator.finish(&origin),
        decoded,
    }
}

/// What the correlate stage did for the object: `sent` counts the correlation alerts
/// delivered, per correlation id.
fn tally(
    settled: &Settled,
    uncounted: Uncounted,
    sent: &BTreeMap<String, u64>,
) -> CorrelationTally {
    let mut tally = CorrelationTally {
        alerts: sent.values().sum(),
        late: settled.late,
        dropped: uncounted.dropped + uncounted.untimed,
        rules: BTreeMap::new(),
    };
    for a in settled.alerts.iter().filter(|a| !a.feeds_only) {
        let c = &a.correlation;
        let entry = tally
            .rules
            .entry(c.id.clone())
            .or_insert_with(|| RuleTally {
                title: c.title.clone(),
                level: Some(c.level),
                alerted: sent.get(&c.id).copied().unwrap_or(0),
                ..RuleTally::default()
            });
        entry.matches += 1;
    }
    tally
}
