//! The collecting half of the stage: while an object is read, each match of a rule that
//! correlations refer to is filed under its (correlation, group) as a [`Contribution`]. Pure
//! and bounded per object.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::slice::{Contribution, GroupId, Sample, Slice, SAMPLES};
use crate::plan::SuppressKey;
use crate::rules::{field, Correlation, CorrelationType, Rule, RuleSet};

/// Contributions one object may hold before the rest are counted as dropped: about 40 MB.
pub const MAX_CONTRIBUTIONS: usize = 500_000;

/// Groups one object may touch (over all its correlations) before matches of further groups
/// are counted as dropped. A group costs a few kilobytes while the object is settled (its
/// slice, samples and what the store returns) and four requests to the state table, so this
/// bounds both: about 50 MB and 40,000 requests.
pub const MAX_GROUPS: usize = 10_000;

/// One object's correlation input, collected while it is read.
#[derive(Debug)]
pub struct Correlator<'r> {
    rules: &'r RuleSet,
    /// Keyed by (correlation, group-by values): the digest is computed once per group.
    slices: HashMap<(usize, Vec<Option<String>>), Slice>,
    held: usize,
    /// Matches past [`MAX_CONTRIBUTIONS`], not counted.
    pub dropped: u64,
    /// Matches without a readable `eventTime`, which no window can place.
    pub untimed: u64,
}

/// What a [`Correlator`] leaves for [`settle`](super::settle).
#[derive(Debug, Default)]
pub struct Collected {
    /// Per correlation index, the object's slices.
    pub slices: HashMap<usize, Vec<Slice>>,
    /// Matches past [`MAX_CONTRIBUTIONS`].
    pub dropped: u64,
    /// Matches without a readable `eventTime`.
    pub untimed: u64,
}

impl Collected {
    /// Adds `other`'s slices (another object read in the same unit): a group's slices become
    /// one, so the unit costs one slice per group.
    pub fn absorb(&mut self, other: Collected) {
        self.dropped += other.dropped;
        self.untimed += other.untimed;
        for (c, slices) in other.slices {
            let mine = self.slices.entry(c).or_default();
            for slice in slices {
                match mine.iter_mut().find(|s| s.group == slice.group) {
                    Some(same) => {
                        same.contributions.extend(slice.contributions);
                        let room = SAMPLES.saturating_sub(same.samples.len());
                        same.samples.extend(slice.samples.into_iter().take(room));
                    }
                    None => mine.push(slice),
                }
            }
        }
    }

    /// Names every slice's origin `origin`: a unit read again replaces its slices.
    pub fn set_origin(&mut self, origin: &str) {
        for slice in self.slices.values_mut().flatten() {
            slice.origin = origin.to_owned();
        }
    }

    /// The oldest and newest record times (epoch ms) among the slices; `None` without any.
    pub fn span(&self) -> Option<(i64, i64)> {
        let times = self
            .slices
            .values()
            .flatten()
            .flat_map(|s| s.contributions.iter().map(|c| c.at));
        times.fold(None, |span, at| {
            let (lo, hi) = span.unwrap_or((at, at));
            Some((lo.min(at), hi.max(at)))
        })
    }
}

impl<'r> Correlator<'r> {
    /// A correlator for the correlations of `rules`, `keep_ms` (timespan + lateness) apart.
    pub fn new(rules: &'r RuleSet) -> Self {
        Correlator {
            rules,
            slices: HashMap::new(),
            held: 0,
            dropped: 0,
            untimed: 0,
        }
    }

    /// Files `rule`'s match on `record` under every correlation it feeds.
    pub fn add(&mut self, rule: &Rule, record: &Value) {
        for &(c, input) in rule.feeds() {
            let Some(corr) = self.rules.correlations().get(c) else {
                continue;
            };
            let Some(at) = record
                .get("eventTime")
                .and_then(Value::as_str)
                .and_then(parse_ms)
            else {
                self.untimed += 1;
                continue;
            };
            if self.held >= MAX_CONTRIBUTIONS {
                self.dropped += 1;
                continue;
            }
            let paths = corr.group_paths.get(input).map_or(&[][..], Vec::as_slice);
            let key = (c, paths.iter().map(|p| text_at(record, p)).collect());
            let groups = self.slices.len();
            let slice = match self.slices.entry(key) {
                Entry::Occupied(o) => o.into_mut(),
                Entry::Vacant(_) if groups >= MAX_GROUPS => {
                    self.dropped += 1;
                    continue;
                }
                Entry::Vacant(v) => {
                    let values: Vec<Option<String>> = v.key().1.clone();
                    let digest = group_digest(&corr.id, &values);
                    v.insert(new_slice(corr, digest, values))
                }
            };
            self.held += 1;
            slice.contributions.push(Contribution {
                id: record_id(record),
                at,
                input: u16::try_from(input).unwrap_or(u16::MAX),
                value: field_value(corr, record),
            });
            // Built only while the slice has room: most matches of a busy group need none.
            if slice.samples.len() < SAMPLES {
                slice.samples.push(sample(record, at));
            }
        }
    }

    /// Ends the object.
    pub fn finish(self, origin: &str) -> Collected {
        let mut out = Collected {
            dropped: self.dropped,
            untimed: self.untimed,
            ..Collected::default()
        };
        let mut slices: Vec<_> = self.slices.into_iter().collect();
        slices.sort_by(|a, b| (a.0 .0, &a.1.group.group).cmp(&(b.0 .0, &b.1.group.group)));
        for ((c, _), mut slice) in slices {
            slice.origin = origin.to_owned();
            out.slices.entry(c).or_default().push(slice);
        }
        out
    }
}

/// Adds one contribution to its group's slice, creating it.
pub(crate) fn file(
    slices: &mut HashMap<(usize, String), Slice>,
    key: (usize, String),
    corr: &Correlation,
    values: Vec<Option<String>>,
    contribution: Contribution,
    sample: Option<Sample>,
) {
    let digest = key.1.clone();
    let slice = slices
        .entry(key)
        .or_insert_with(|| new_slice(corr, digest, values));
    if let Some(s) = sample.filter(|_| slice.samples.len() < SAMPLES) {
        slice.samples.push(s);
    }
    slice.contributions.push(contribution);
}

/// An empty slice of group `digest` (with `values`) of `corr`.
fn new_slice(corr: &Correlation, digest: String, values: Vec<Option<String>>) -> Slice {
    Slice {
        group: GroupId {
            correlation: corr.id.clone(),
            group: digest,
        },
        values,
        origin: String::new(),
        contributions: Vec::new(),
        samples: Vec::new(),
        span_ms: corr.timespan_ms(),
        keep_ms: 0,
    }
}

/// The digest naming a group: the correlation's values, as suppression names combinations.
pub fn group_digest(correlation: &str, values: &[Option<String>]) -> String {
    SuppressKey {
        rule_id: correlation.to_owned(),
        values: values.to_vec(),
    }
    .digest()
}

/// RFC 3339 → epoch milliseconds.
pub fn parse_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Epoch milliseconds → RFC 3339, as CloudTrail writes eventTime.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A 64-bit digest of `text`, stable across builds (it is stored).
pub fn digest64(text: &[u8]) -> u64 {
    let d = Sha256::digest(text);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// What makes a record count once: its eventID, or its whole text without one.
fn record_id(record: &Value) -> u64 {
    match record.get("eventID").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => digest64(id.as_bytes()),
        _ => digest64(record.to_string().as_bytes()),
    }
}

/// A field's value as text: strings as they are, numbers and booleans as written, `None` for
/// missing or null, objects and lists as JSON.
pub fn text_at(record: &Value, path: &str) -> Option<String> {
    field::text(record, path)
}

/// `condition.field`'s value for the types that read one; several fields form a tuple.
fn field_value(corr: &Correlation, record: &Value) -> Option<String> {
    if !corr.kind.needs_field() {
        return None;
    }
    let parts: Vec<Option<String>> = corr.field.iter().map(|f| text_at(record, f)).collect();
    if parts.iter().all(Option::is_none) {
        return None;
    }
    if corr.kind == CorrelationType::ValueCount && parts.len() > 1 {
        let joined: Vec<String> = parts.into_iter().map(Option::unwrap_or_default).collect();
        return Some(joined.join("\u{1f}"));
    }
    parts.into_iter().next().flatten()
}

fn sample(record: &Value, at: i64) -> Sample {
    let get = |p: &str| text_at(record, p).map(|s| crate::render::truncate(&s, 256));
    Sample {
        at,
        event_id: get("eventID"),
        event_name: get("eventName"),
        event_time: get("eventTime"),
        source_ip: get("sourceIPAddress"),
        region: get("awsRegion"),
    }
}
