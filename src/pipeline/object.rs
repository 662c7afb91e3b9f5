//! One object through the stages: fetched, then decoded, matched and planned on a blocking
//! thread, while this task delivers each batch the plan hands over; then the object's held
//! `suppress:` combinations are decided by the state table and delivered.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::io::SyncIoBridge;

use super::fence::Flight;
use super::{ObjectError, Outcome, Pipeline, Unreadable};
use crate::correlate::{Collected, Correlator};
use crate::decode::{self, DecodeError};
use crate::fetch::{Cancellable, ObjectRef};
use crate::matching::{Checked, Matcher, Observed};
use crate::plan::{Batch, Held, PlanSettings, PlanStats, Planner};
use crate::rules::RuleSet;

/// Batches waiting for delivery: the decoder pauses when they are not taken.
const IN_FLIGHT: usize = 4;
/// Unreadable records logged and named one by one per object; the rest are only counted.
const UNREADABLE_NAMED: u64 = 10;

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
pub(super) async fn scan(pipeline: &Pipeline, object: &ObjectRef, flight: &Flight) -> Outcome {
    let reader = match pipeline.fetch.open(object).await {
        Ok(reader) => reader,
        Err(e) => return Outcome::failed(e.into()),
    };
    // Dropping this future (deadline) cancels the token, which ends the blocking reader.
    let token = tokio_util::sync::CancellationToken::new();
    let _cancel_on_drop = token.clone().drop_guard();
    let reader = SyncIoBridge::new(Cancellable::new(reader, token));
    let (tx, mut rx) = mpsc::channel(IN_FLIGHT);
    let rules = Arc::clone(&pipeline.rules);
    let settings = Arc::clone(&pipeline.settings);
    let source = object.clone();
    let scanning = tokio::task::spawn_blocking(move || {
        decode_match_plan(reader, &rules, &settings.plan, settings.limits, source, &tx)
    });
    let mut delivery = pipeline.delivery(object, flight);
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
    let suppressed = delivery
        .release(scanned.held, &pipeline.settings.plan)
        .await;
    let correlation = delivery
        .correlate(pipeline, object, scanned.correlated)
        .await;
    let object = object.to_string();
    let error = match (delivery.undelivered, scanned.decoded, delivery.not_clean) {
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
        state_unavailable: delivery.state_unavailable,
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
