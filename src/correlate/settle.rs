//! Settling: one object's slices through the correlation store, into firings and alerts,
//! inner correlations before those that refer to them. Without a store (the table is down and
//! `STATE_UNAVAILABLE` says to deliver anyway) the object is settled alone: each group holds
//! only its slice, and no firing was recorded before.
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use super::collect::{digest64, file, format_ms, Collected};
use super::slice::{cover, Contribution, FireRequest, Fired, Sample, Slice, SAMPLES};
use super::store::CorrelationStore;
use super::window::{distinct_values, merge, triggers, Point, Trigger};
use crate::alert::CorrelationAlert;
use crate::alert::{CorrelationRef, SampleRecord, VALUES_MAX};
use crate::fetch::ObjectRef;
use crate::render::facts::cloudtrail_link;
use crate::rules::{Correlation, CorrelationType, RuleSet};
use crate::state::{epoch_ms, StateError};

/// What settling one object gave.
#[derive(Debug, Default)]
pub struct Settled {
    /// The alerts, in a deterministic order; those of correlations that only feed others
    /// have `feeds_only` set and are not sent.
    pub alerts: Vec<CorrelationAlert>,
    /// Records older than their window's lateness allows, not counted.
    pub late: u64,
    /// Firings this object recorded first (including those of inner correlations).
    pub fired: u64,
    /// Groups the object touched.
    pub groups: u64,
}

/// The store failed part way: what was settled before, and the slices not yet settled (so
/// that the caller can settle them elsewhere without having kept a copy of everything).
#[derive(Debug)]
pub struct SettleError {
    /// Why.
    pub error: StateError,
    /// The correlations settled before the failure.
    pub settled: Settled,
    /// The rest of the object's slices, those of the failed correlation included.
    pub rest: Collected,
}

/// Settles `collected` (one object's slices) with `store`, or alone without one. `now` is the
/// correlation clock. Correlations that do not refer to one another are settled together, one
/// gather and one fire for all their groups, so an object costs a round of calls per level of
/// chaining, not per correlation.
pub async fn settle(
    store: Option<&dyn CorrelationStore>,
    rules: &RuleSet,
    mut collected: Collected,
    lateness: Duration,
    now: SystemTime,
    source: &ObjectRef,
) -> Result<Settled, Box<SettleError>> {
    let mut out = Settled::default();
    let mut alerts: HashMap<usize, Vec<CorrelationAlert>> = HashMap::new();
    let now_ms = i64::try_from(epoch_ms(now)).unwrap_or(i64::MAX);
    let lateness_ms = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
    for level in levels(rules) {
        // The level's slices in one list; `parts` says which run of it is whose.
        let mut flat: Vec<Slice> = Vec::new();
        let mut parts: Vec<(usize, std::ops::Range<usize>, i64)> = Vec::new();
        for c in level {
            let Some(mut slices) = collected.slices.remove(&c) else {
                continue;
            };
            let Some(corr) = rules.correlations().get(c) else {
                continue;
            };
            let keep_ms = corr.timespan_ms().saturating_add(lateness_ms);
            let floor = now_ms.saturating_sub(keep_ms);
            for s in &mut slices {
                s.keep_ms = keep_ms;
                let before = s.contributions.len();
                s.contributions.retain(|x| x.at >= floor);
                out.late += (before - s.contributions.len()) as u64;
            }
            slices.retain(|s| !s.contributions.is_empty());
            if slices.is_empty() {
                continue;
            }
            out.groups += slices.len() as u64;
            let start = flat.len();
            flat.extend(slices);
            parts.push((c, start..flat.len(), keep_ms));
        }
        if flat.is_empty() {
            continue;
        }
        let failed = |error,
                      out,
                      mut rest: Collected,
                      flat: Vec<Slice>,
                      parts: &[(usize, std::ops::Range<usize>, i64)]| {
            for (c, range, _) in parts {
                rest.slices.insert(*c, flat[range.clone()].to_vec());
            }
            Box::new(SettleError {
                error,
                settled: out,
                rest,
            })
        };
        let gathered = match gather(store, &flat, now).await {
            Ok(g) => g,
            Err(e) => {
                flush(&mut out, &mut alerts, rules);
                return Err(failed(e, out, collected, flat, &parts));
            }
        };
        let mut requests = Vec::new();
        let mut found = Vec::new();
        for (c, range, keep_ms) in &parts {
            let Some(corr) = rules.correlations().get(*c) else {
                continue;
            };
            for (slice, all) in flat[range.clone()].iter().zip(&gathered[range.clone()]) {
                let points = merge(all, slice, corr.kind);
                let trig = triggers(corr, &points);
                if trig.is_empty() {
                    continue;
                }
                requests.push(FireRequest {
                    group: slice.group.clone(),
                    span_ms: corr.timespan_ms(),
                    keep_ms: *keep_ms,
                    triggers: trig.iter().map(|t| t.at).collect(),
                });
                found.push((*c, corr, slice, all, points, trig));
            }
        }
        if requests.is_empty() {
            continue;
        }
        let fired = match fire(store, &requests, now).await {
            Ok(f) => f,
            Err(e) => {
                drop(found);
                flush(&mut out, &mut alerts, rules);
                return Err(failed(e, out, collected, flat, &parts));
            }
        };
        let mut chained: Vec<(usize, Feeds)> = Vec::new();
        for ((c, corr, slice, all, points, trig), firings) in found.iter().zip(fired) {
            if chained.last().is_none_or(|(last, _)| last != c) {
                chained.push((*c, HashMap::new()));
            }
            let Some((_, into)) = chained.last_mut() else {
                continue;
            };
            for f in firings {
                out.fired += u64::from(f.new);
                let Some(t) = trig.get(f.trigger) else {
                    continue;
                };
                let alert = alert(corr, slice, all, points, t, f.at, source);
                alerts.entry(*c).or_default().push(alert);
                for &(outer, input) in rules.correlation_feeds(*c) {
                    if let Some(o) = rules.correlations().get(outer) {
                        feed(into, outer, o, input, corr, slice, f.at);
                    }
                }
            }
        }
        for (c, feeds) in chained {
            let Some(corr) = rules.correlations().get(c) else {
                continue;
            };
            let origin = parts
                .iter()
                .find(|(p, _, _)| *p == c)
                .map_or("", |(_, range, _)| flat[range.start].origin.as_str());
            let mut feeds: Vec<_> = feeds.into_iter().collect();
            feeds.sort_by(|a, b| a.0.cmp(&b.0));
            for ((outer, _), s) in feeds {
                let pending = collected.slices.entry(outer).or_default();
                adopt(pending, s, origin, &corr.id);
            }
        }
    }
    flush(&mut out, &mut alerts, rules);
    Ok(out)
}

/// Inner correlations' firings, as records of the correlations that refer to them.
type Feeds = HashMap<(usize, String), Slice>;

/// Moves the alerts settled so far into `out`, in the correlations' order, as when they were
/// settled one by one.
fn flush(out: &mut Settled, alerts: &mut HashMap<usize, Vec<CorrelationAlert>>, rules: &RuleSet) {
    for c in rules.correlation_order() {
        out.alerts.extend(alerts.remove(c).unwrap_or_default());
    }
}

/// The correlations in levels: those that refer to no correlation first, then each
/// correlation one level above the deepest it refers to. A level's correlations are settled
/// together.
fn levels(rules: &RuleSet) -> Vec<Vec<usize>> {
    let mut level: HashMap<usize, usize> = HashMap::new();
    for &c in rules.correlation_order() {
        let here = level.get(&c).copied().unwrap_or(0);
        for &(outer, _) in rules.correlation_feeds(c) {
            let l = level.entry(outer).or_insert(0);
            *l = (*l).max(here + 1);
        }
        level.entry(c).or_insert(here);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    for &c in rules.correlation_order() {
        let l = level.get(&c).copied().unwrap_or(0);
        if out.len() <= l {
            out.resize_with(l + 1, Vec::new);
        }
        out[l].push(c);
    }
    out
}

/// Every slice each slice's group holds: the store's, or the slice alone.
async fn gather(
    store: Option<&dyn CorrelationStore>,
    slices: &[Slice],
    now: SystemTime,
) -> Result<Vec<Vec<Slice>>, StateError> {
    match store {
        Some(store) => store.gather(slices, now).await,
        None => Ok(slices.iter().map(|s| vec![s.clone()]).collect()),
    }
}

/// The firings of each request: the store's, or [`cover`] over no earlier firing.
async fn fire(
    store: Option<&dyn CorrelationStore>,
    requests: &[FireRequest],
    now: SystemTime,
) -> Result<Vec<Vec<Fired>>, StateError> {
    match store {
        Some(store) => store.fire(requests, now).await,
        None => Ok(requests
            .iter()
            .map(|r| cover(&mut Vec::new(), &r.triggers, r.span_ms))
            .collect()),
    }
}

/// Files an inner correlation's firings among the outer correlation's pending slices. One
/// group has one slice per object: were the firings a slice of their own, both would gather
/// the same group and the outer correlation would fire twice for one window.
fn adopt(pending: &mut Vec<Slice>, chained: Slice, origin: &str, inner: &str) {
    let Some(same) = pending.iter_mut().find(|p| p.group == chained.group) else {
        let mut chained = chained;
        chained.origin = format!("{origin}>{inner}");
        pending.push(chained);
        return;
    };
    for c in chained.contributions {
        if !same.contributions.iter().any(|x| x.id == c.id) {
            same.contributions.push(c);
        }
    }
    let room = SAMPLES.saturating_sub(same.samples.len());
    same.samples.extend(chained.samples.into_iter().take(room));
}

/// An inner correlation's firing as a record of the correlation that refers to it: at the
/// firing's time, with the inner group's values under the outer's group-by names.
fn feed(
    chained: &mut Feeds,
    outer: usize,
    o: &Correlation,
    input: usize,
    inner: &Correlation,
    slice: &Slice,
    at: i64,
) {
    let paths = o.group_paths.get(input).map_or(&[][..], Vec::as_slice);
    let values: Vec<Option<String>> = paths
        .iter()
        .map(|p| {
            let i = inner.group_by.iter().position(|g| g == p)?;
            slice.values.get(i).cloned().flatten()
        })
        .collect();
    let key = format!("{}\u{0}{}\u{0}{at}", inner.id, slice.group.group);
    let contribution = Contribution {
        id: digest64(key.as_bytes()),
        at,
        input: u16::try_from(input).unwrap_or(u16::MAX),
        value: None,
    };
    let sample = Sample {
        at,
        event_id: Some(format!("{}@{}", inner.id, format_ms(at))),
        event_name: Some(inner.title.clone()),
        event_time: Some(format_ms(at)),
        source_ip: None,
        region: None,
    };
    let digest = super::collect::group_digest(&o.id, &values);
    file(
        chained,
        (outer, digest),
        o,
        values,
        contribution,
        Some(sample),
    );
}

/// The alert for the firing at `fired_at`, described by the trigger that led to it.
fn alert(
    corr: &Correlation,
    slice: &Slice,
    all: &[Slice],
    points: &[Point<'_>],
    t: &Trigger,
    fired_at: i64,
    source: &ObjectRef,
) -> CorrelationAlert {
    let window = &points[t.start..=t.end];
    let (first, last) = (window[0].at, window[window.len() - 1].at);
    let values = if corr.kind == CorrelationType::ValueCount {
        distinct_values(window)
    } else {
        Vec::new()
    };
    let total = values.len();
    let mut samples: Vec<&Sample> = all
        .iter()
        .flat_map(|s| s.samples.iter())
        .filter(|s| s.at >= first && s.at <= last)
        .collect();
    samples.sort_by(|a, b| (a.at, &a.event_id).cmp(&(b.at, &b.event_id)));
    samples.dedup_by(|a, b| a.event_id == b.event_id);
    let sample = samples
        .into_iter()
        .take(SAMPLES)
        .map(|s| SampleRecord {
            event_id: s.event_id.clone(),
            event_name: s.event_name.clone(),
            event_time: s.event_time.clone(),
            source_ip: s.source_ip.clone(),
            link: match (&s.region, &s.event_id) {
                (Some(r), Some(id)) => cloudtrail_link(r, id),
                _ => None,
            },
        })
        .collect();
    CorrelationAlert {
        correlation: CorrelationRef::new(corr),
        group: corr
            .group_by
            .iter()
            .cloned()
            .zip(slice.values.iter().cloned())
            .collect(),
        measure: t.measure,
        measure_label: match corr.kind {
            CorrelationType::EventCount => "records",
            CorrelationType::ValueCount => "distinct values",
            CorrelationType::Temporal | CorrelationType::TemporalOrdered => "rules",
            CorrelationType::ValueSum => "sum",
            CorrelationType::ValueAvg => "average",
        },
        values_total: (total > VALUES_MAX).then_some(total),
        values: values.into_iter().take(VALUES_MAX).collect(),
        records: window.len(),
        first_event_time: format_ms(first),
        last_event_time: format_ms(last),
        fired_at_ms: fired_at,
        group_digest: slice.group.group.clone(),
        sample,
        source: source.clone(),
        feeds_only: !corr.alerts,
    }
}
