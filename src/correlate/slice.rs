//! What the state keeps for correlation rules: each object's part of a group's window (a
//! [`Slice`]), and each group's firings.
//!
//! A slice is keyed by (correlation, group, object), so a redelivered object replaces its own
//! slice instead of adding to the count, and a record seen through two paths (a file and an
//! EventBridge event) is one [`Contribution`] id, counted once when the slices are merged.
//! [`cover`] is the one rule every store applies to firings: a group never fires twice within
//! one timespan.
use serde::{Deserialize, Serialize};

/// One correlation group: the correlation's id and a digest of its group-by values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupId {
    /// The correlation's id.
    pub correlation: String,
    /// Digest of the group-by values (see [`crate::plan::SuppressKey::digest`]).
    pub group: String,
}

/// One record's part in one correlation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// A 64-bit digest of the record's eventID (of its text without one): what counts once.
    #[serde(rename = "i")]
    pub id: u64,
    /// Its eventTime, epoch milliseconds.
    #[serde(rename = "t")]
    pub at: i64,
    /// Which of the correlation's `rules` it matched (position in the list).
    #[serde(rename = "r")]
    pub input: u16,
    /// `field`'s value (a tuple joined by U+001F for several fields), where the type reads one.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A contributing record as alerts show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Its eventTime, epoch milliseconds.
    pub at: i64,
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventTime` as written.
    pub event_time: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// `awsRegion`, for the console link.
    pub region: Option<String>,
}

/// One object's records for one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The group.
    pub group: GroupId,
    /// The group-by values as read, for alerts (`None`: field missing).
    pub values: Vec<Option<String>>,
    /// Digest of the object (or event) it came from: a retry replaces it.
    pub origin: String,
    /// The records, in the order read.
    pub contributions: Vec<Contribution>,
    /// Up to [`SAMPLES`] of them in full, for alerts.
    pub samples: Vec<Sample>,
    /// The correlation's timespan, milliseconds.
    pub span_ms: i64,
    /// How long after its newest record the slice is kept: timespan + lateness.
    pub keep_ms: i64,
}

/// Samples kept per slice, and shown per alert.
pub const SAMPLES: usize = 10;

impl Slice {
    /// Its newest record's time, epoch milliseconds.
    pub fn max_at(&self) -> i64 {
        self.contributions
            .iter()
            .map(|c| c.at)
            .max()
            .unwrap_or(i64::MIN)
    }
}

/// One slice holding every record of `slices` (one group's) whose time is at or after
/// `floor_ms`, each once, with the newest [`SAMPLES`] samples: what a store keeps in place of
/// a group's many small slices, so that reading the group stays one item or a few. Records
/// before the floor are past any window a new record can open.
pub fn compact(slices: &[Slice], origin: String, floor_ms: i64) -> Option<Slice> {
    let first = slices.first()?;
    let mut seen = std::collections::HashSet::new();
    let contributions = slices
        .iter()
        .flat_map(|s| s.contributions.iter())
        .filter(|c| c.at >= floor_ms && seen.insert((c.id, c.input)))
        .cloned()
        .collect();
    let mut samples: Vec<Sample> = slices
        .iter()
        .flat_map(|s| s.samples.iter())
        .filter(|s| s.at >= floor_ms)
        .cloned()
        .collect();
    samples.sort_by(|a, b| (a.at, &a.event_id).cmp(&(b.at, &b.event_id)));
    samples.dedup_by(|a, b| a.event_id.is_some() && a.event_id == b.event_id);
    let newest = samples.len().saturating_sub(SAMPLES);
    samples.drain(..newest);
    Some(Slice {
        group: first.group.clone(),
        values: first.values.clone(),
        origin,
        contributions,
        samples,
        span_ms: slices.iter().map(|s| s.span_ms).max().unwrap_or(0),
        keep_ms: slices.iter().map(|s| s.keep_ms).max().unwrap_or(0),
    })
}

/// A group's moments that satisfy its condition, for [`super::CorrelationStore::fire`].
#[derive(Debug, Clone, PartialEq)]
pub struct FireRequest {
    /// The group.
    pub group: GroupId,
    /// The timespan, milliseconds: firings closer than this are one.
    pub span_ms: i64,
    /// How long a firing is remembered after it: timespan + lateness.
    pub keep_ms: i64,
    /// Event times (ms) at which the condition holds, ascending.
    pub triggers: Vec<i64>,
}

/// One firing that covers some of a request's triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    /// The firing's time (ms): the alert's identity within its group.
    pub at: i64,
    /// The first trigger it covers (an index into the request's `triggers`).
    pub trigger: usize,
    /// Whether this call recorded it (otherwise another object or path did, earlier).
    pub new: bool,
}

/// Settles `triggers` against a group's recorded firings (`fired`, updated in place): a trigger
/// within `span_ms` of a firing is covered by it; any other becomes a firing. Each firing is
/// reported once, at the first trigger it covers.
pub fn cover(fired: &mut Vec<i64>, triggers: &[i64], span_ms: i64) -> Vec<Fired> {
    let mut out: Vec<Fired> = Vec::new();
    for (i, &t) in triggers.iter().enumerate() {
        let near = fired
            .iter()
            .copied()
            .filter(|f| f.abs_diff(t) <= span_ms.unsigned_abs())
            .min_by_key(|f| f.abs_diff(t));
        match near {
            Some(f) if out.iter().any(|o| o.at == f) => {}
            Some(f) => out.push(Fired {
                at: f,
                trigger: i,
                new: false,
            }),
            None => {
                fired.push(t);
                fired.sort_unstable();
                out.push(Fired {
                    at: t,
                    trigger: i,
                    new: true,
                });
            }
        }
    }
    out
}

/// Forgets firings that no record still kept could be within a timespan of.
pub fn prune(fired: &mut Vec<i64>, floor_ms: i64) {
    fired.retain(|&f| f >= floor_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_within_a_timespan_are_one_firing() {
        let mut fired = Vec::new();
        let out = cover(&mut fired, &[100, 150, 200, 400], 100);
        assert_eq!(
            out.iter()
                .map(|f| (f.at, f.trigger, f.new))
                .collect::<Vec<_>>(),
            vec![(100, 0, true), (400, 3, true)]
        );
        // A later call sees the same firings: nothing new.
        let again = cover(&mut fired, &[120, 390], 100);
        assert!(again.iter().all(|f| !f.new));
        assert_eq!(fired, vec![100, 400]);
    }

    #[test]
    fn an_earlier_trigger_is_covered_by_a_later_firing() {
        let mut fired = vec![500];
        let out = cover(&mut fired, &[420, 650], 100);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].at, out[0].new), (500, false));
        assert_eq!((out[1].at, out[1].new), (650, true));
    }

    fn slice(origin: &str, points: &[(u64, i64)]) -> Slice {
        Slice {
            group: GroupId {
                correlation: "c".into(),
                group: "g".into(),
            },
            values: vec![Some("alice".into())],
            origin: origin.into(),
            contributions: points
                .iter()
                .map(|&(id, at)| Contribution {
                    id,
                    at,
                    input: 0,
                    value: None,
                })
                .collect(),
            samples: points
                .iter()
                .map(|&(id, at)| Sample {
                    at,
                    event_id: Some(id.to_string()),
                    event_name: None,
                    event_time: None,
                    source_ip: None,
                    region: None,
                })
                .collect(),
            span_ms: 300_000,
            keep_ms: 3_900_000,
        }
    }

    #[test]
    fn compacting_keeps_each_record_once_and_drops_those_before_the_floor() {
        let many: Vec<Slice> = (0..30)
            .map(|i| {
                slice(
                    &format!("o{i}"),
                    &[(i, 1000 + i as i64), (i + 1, 1001 + i as i64)],
                )
            })
            .chain([slice("old", &[(99, 10)])])
            .collect();
        let one = compact(&many, "merged".into(), 500).unwrap();
        let mut ids: Vec<u64> = one.contributions.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..=30).collect::<Vec<_>>());
        assert_eq!(one.samples.len(), SAMPLES);
        assert!(
            one.samples.iter().all(|s| s.at >= 1021),
            "the newest samples are kept"
        );
        assert_eq!((one.origin.as_str(), one.keep_ms), ("merged", 3_900_000));
        assert!(compact(&[], "x".into(), 0).is_none());
    }
}
