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
use crate::plan::{self, Batch, Held, PlanStats, Planner, RuleTally, Sighting};
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

/// An object read to its end: the alerts it streamed are delivered, its held `suppress:`
/// combinations and correlation slices wait for their verdicts.
pub(super) struct Read<'a> {
    object: ObjectRef,
    delivery: Delivery<'a>,
    scanned: Scanned,
}

/// What the verdicts of some objects released, delivered by the first object's delivery.
#[derive(Default)]
struct Decided {
    suppressed: u64,
    correlation: CorrelationTally,
}

/// Scans `object`. Alerts found before a decode error are still delivered.
pub(super) async fn scan(
    stages: &Stages<'_>,
    delivery: Delivery<'_>,
    object: &ObjectRef,
) -> Outcome {
    match read(stages, delivery, object).await {
        Ok(read) => {
            let mut reads = [read];
            let decided = decide(stages, &mut reads).await;
            let [read] = reads;
            finish(read, decided, None)
        }
        Err(failed) => failed,
    }
}

/// Scans objects that arrived whole in their trigger (the EventBridge events of one SQS
/// batch) as one unit: each is read on its own, so its alerts name it as their source, and
/// their verdicts are asked once for all, so a batch costs the state table one round of
/// calls instead of one per event. A failed verdict fails every object of the unit.
pub(super) async fn scan_together(
    stages: &Stages<'_>,
    deliveries: Vec<Delivery<'_>>,
    objects: &[ObjectRef],
) -> Vec<Outcome> {
    let reading = deliveries
        .into_iter()
        .zip(objects)
        .map(|(delivery, object)| read(stages, delivery, object));
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(objects.len());
    let mut reads = Vec::new();
    let mut at = Vec::new();
    for result in futures::future::join_all(reading).await {
        match result {
            Ok(read) => {
                at.push(outcomes.len());
                outcomes.push(None);
                reads.push(read);
            }
            Err(failed) => outcomes.push(Some(failed)),
        }
    }
    if reads.is_empty() {
        return outcomes.into_iter().flatten().collect();
    }
    let before = reads[0].delivery.failures();
    let decided = decide(stages, &mut reads).await;
    let unit_failed = (reads[0].delivery.failures() != before)
        .then(|| reads[0].delivery.failure_text())
        .flatten();
    let mut decided = Some(decided);
    for (i, read) in at.into_iter().zip(reads) {
        outcomes[i] = Some(finish(
            read,
            decided.take().unwrap_or_default(),
            unit_failed.as_deref(),
        ));
    }
    outcomes.into_iter().flatten().collect()
}

/// Fetches `object` and decodes, matches and plans it, delivering each batch the plan hands
/// over; a failure to open or finish it is its outcome.
async fn read<'a>(
    stages: &Stages<'_>,
    mut delivery: Delivery<'a>,
    object: &ObjectRef,
) -> Result<Read<'a>, Outcome> {
    let reader = match stages.fetch.open(object).await {
        Ok(reader) => reader,
        Err(e) => return Err(Outcome::failed(e.into())),
    };
    // Dropping this future (deadline) cancels the token, which ends the blocking reader.
    let token = tokio_util::sync::CancellationToken::new();
    let _cancel_on_drop = token.clone().drop_guard();
    let reader = SyncIoBridge::new(Cancellable::new(reader, token));
    let (tx, mut rx) = mpsc::channel(IN_FLIGHT);
    let rules = Arc::clone(stages.rules);
    let settings = Arc::clone(stages.settings);
    let source = object.clone();
    let scanning = tokio::task::spawn_blocking(move || {
        decode_match_plan(reader, &rules, &settings, source, &tx)
    });
    crate::deliver::send_all(&mut delivery, &mut rx).await;
    match scanning.await {
        Ok(scanned) => Ok(Read {
            object: object.clone(),
            delivery,
            scanned,
        }),
        Err(e) => Err(Outcome::failed(ObjectError::Aborted {
            object: object.to_string(),
            message: e.to_string(),
        })),
    }
}

/// Asks the verdicts of `reads` at once, and plans and delivers the alerts they release
/// through the first read's delivery.
async fn decide(stages: &Stages<'_>, reads: &mut [Read<'_>]) -> Decided {
    let now = SystemTime::now();
    let mut sightings: Vec<Sighting> = Vec::new();
    let mut held: Vec<Held> = Vec::new();
    let mut collected = Collected::default();
    let mut origins = Vec::new();
    for read in reads.iter_mut() {
        let origin = read.object.to_string();
        sightings.extend(read.scanned.held.iter().map(|h| h.sighting(&origin, now)));
        held.append(&mut read.scanned.held);
        collected.absorb(std::mem::take(&mut read.scanned.correlated));
        origins.push(origin);
    }
    let Some(first) = reads.first_mut() else {
        return Decided::default();
    };
    if origins.len() > 1 {
        // A retry of the same unit replaces its slices instead of adding to them.
        collected.set_origin(&crate::state::origin_tag(&origins.join("\n")));
    }
    let delivery = &mut first.delivery;
    let (verdicts, uncounted) = verdict::ask(
        stages.verdicts,
        &mut delivery.health,
        &sightings,
        collected,
        stages.rules,
        stages.clock,
        &first.object,
    )
    .await;
    let plan = &stages.settings.plan;
    let mut batches = Vec::new();
    let suppressed = verdicts
        .suppression
        .map_or(0, |d| plan::release(held, &d, plan, &mut batches));
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
    Decided {
        suppressed,
        correlation,
    }
}

/// The outcome of a read object and its verdicts; `unit_failed` says why the unit it was read
/// in could not be acknowledged, when that was not this object's own doing.
fn finish(read: Read<'_>, decided: Decided, unit_failed: Option<&str>) -> Outcome {
    let Read {
        object,
        delivery,
        scanned,
    } = read;
    let object = object.to_string();
    let error = match (
        delivery.undelivered(),
        scanned.decoded,
        delivery.health.not_clean,
    ) {
        (Some(source), _, _) => Some(ObjectError::Deliver { object, source }),
        (None, Err(source), _) => Some(ObjectError::Decode { object, source }),
        (None, Ok(()), Some(message)) => Some(ObjectError::State { object, message }),
        (None, Ok(()), None) => unit_failed.map(|why| ObjectError::State {
            object,
            message: format!("read with other events, whose verdicts failed: {why}"),
        }),
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
        suppressed: decided.suppressed,
        state_unavailable: delivery.health.unavailable,
        correlation: decided.correlation,
        error,
    }
}

/// Decodes, matches and plans one object on the current (blocking) thread, handing each full
/// batch to `tx` as soon as the plan makes it.
fn decode_match_plan(
    reader: impl std::io::Read + Send,
    rules: &RuleSet,
    settings: &Settings,
    source: ObjectRef,
    tx: &mpsc::Sender<Batch>,
) -> Scanned {
    let enricher = &*settings.enrich;
    let matcher = Matcher::enriched(rules, enricher);
    let mut planner = Planner::new(&settings.plan, source.clone()).enriched_by(enricher);
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
    let decoded = decode::records_with(reader, settings.limits, |raw| {
        events += 1;
        // A record is built only for a rule that may send or hold it, or that feeds a
        // correlation; a storm's matches are counted from the text.
        let build = |hits: &[&crate::rules::Rule]| {
            hits.iter()
                .any(|r| planner.wants_record(r) || !r.feeds().is_empty())
        };
        match matcher.check_for(raw, &mut hits, &mut seen, build) {
            Checked::NoMatch => {}
            Checked::Counted(glimpse) => {
                for rule in hits.iter().filter(|r| r.alerts) {
                    planner.count(rule, &glimpse);
                }
            }
            Checked::Matched(mut record) => {
                // The enrich stage: what every rule, correlation and alert reads of it.
                enricher.add_to(&mut record);
                let record = Arc::new(record);
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
