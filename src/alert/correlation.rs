//! A correlation alert: several records that together satisfy a correlation rule.

use serde::Serialize;
use serde_json::json;

use crate::fetch::ObjectRef;
use crate::rules::{Correlation, Level};

/// Distinct values an alert lists before it only counts them.
pub const VALUES_MAX: usize = 20;

/// One group's window that satisfied a correlation.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationAlert {
    /// What the alert says about the correlation (`rule` in the JSON, as for alerts).
    #[serde(rename = "rule")]
    pub correlation: CorrelationRef,
    /// The group-by fields and their values (`None`: the field was missing), in order; a map
    /// in the JSON.
    #[serde(serialize_with = "as_map")]
    pub group: Vec<(String, Option<String>)>,
    /// The measure when it fired: a count, a sum or an average.
    pub measure: f64,
    /// What the measure is (`records`, `distinct values`, `rules`, `sum`, `average`).
    pub measure_label: &'static str,
    /// For `value_count`: up to [`VALUES_MAX`] of the distinct values, and how many in all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Distinct values in all, when `values` is cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values_total: Option<usize>,
    /// Records in the window.
    pub records: usize,
    /// The window's first and last eventTime (RFC 3339).
    pub first_event_time: String,
    /// The last one: the record that made the condition hold.
    pub last_event_time: String,
    /// The firing's time in epoch ms: the alert's identity within its group.
    pub fired_at_ms: i64,
    /// Digest of the group values.
    pub group_digest: String,
    /// Up to ten contributing records.
    pub sample: Vec<SampleRecord>,
    /// The object whose records made it fire.
    pub source: ObjectRef,
    /// Set for a correlation that only feeds others (`generate: false` above it): not sent.
    #[serde(skip)]
    pub feeds_only: bool,
}

fn as_map<S: serde::Serializer>(
    group: &[(String, Option<String>)],
    ser: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = ser.serialize_map(Some(group.len()))?;
    for (k, v) in group {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// The correlation, as alerts name it.
#[derive(Debug, Clone, Serialize)]
pub struct CorrelationRef {
    /// The correlation's id: the `rule_id` attribute.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    /// `event_count`, `value_count`...
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `timespan` in seconds.
    pub timespan_seconds: u64,
    /// The condition as written (`gte 10`).
    pub condition: String,
    /// The titles of the rules it refers to.
    pub rules: Vec<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Topic aliases (`notify:`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

impl CorrelationRef {
    /// What alerts say about `c`.
    pub fn new(c: &Correlation) -> CorrelationRef {
        CorrelationRef {
            id: c.id.clone(),
            title: c.title.clone(),
            level: c.level,
            kind: c.kind.as_str(),
            timespan_seconds: c.timespan.as_secs(),
            condition: c.condition.text(),
            rules: c.input_titles.clone(),
            tags: c.tags.clone(),
            description: c.description.clone(),
            notify: c.notify.clone(),
        }
    }
}

/// One contributing record as the alert lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SampleRecord {
    /// `eventID`.
    pub event_id: Option<String>,
    /// `eventName`.
    pub event_name: Option<String>,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// The CloudTrail console's page for the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl CorrelationAlert {
    /// What makes two alerts the same: the correlation, the group and the firing.
    pub fn identity(&self) -> String {
        format!(
            "correlation\u{0}{}\u{0}{}\u{0}{}",
            self.correlation.id, self.group_digest, self.fired_at_ms
        )
    }

    /// The state table's subject for it (the eventID's place in a single alert's key).
    pub fn subject_key(&self) -> String {
        format!("corr#{}@{}", self.group_digest, self.fired_at_ms)
    }

    /// `{"correlation": {...}}`: subscribers tell it from an alert by its top-level key.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&json!({ "correlation": self })).unwrap_or_default()
    }
}
