//! An alert: one record that matched one rule, as subscribers receive it.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::fetch::ObjectRef;
use crate::render::sanitize;
use crate::render::summary_template;
use crate::rules::{field, Level, Rule};

/// The alert JSON: which rule, the full record, its enrichment, and where it was read.
#[derive(Debug, Clone)]
pub struct Alert {
    /// The rule that matched.
    pub rule: RuleRef,
    /// The full CloudTrail record, shared: one record that matches several rules is parsed
    /// and held once. The enrich stage's output is its top-level `enrichment` member, which
    /// rules and renderers read as a field; the JSON puts it next to the event instead.
    pub event: Arc<Value>,
    /// Where the record was read.
    pub source: ObjectRef,
    /// The rule's `summary:` template filled with this event's values.
    pub summary: Option<String>,
    /// For a rule with `suppress:`: repeats of this combination counted, not sent, since the
    /// last alert for it.
    pub suppressed: Option<u64>,
}

/// The record as CloudTrail wrote it: every member but the enrichment.
struct AsWritten<'a>(&'a Value);

impl Serialize for AsWritten<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(members) = self.0 else {
            return self.0.serialize(s);
        };
        let kept = members.iter().filter(|(k, _)| *k != crate::enrich::FIELD);
        let mut map = s.serialize_map(None)?;
        for (k, v) in kept {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for Alert {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let enrichment = self.event.get(crate::enrich::FIELD);
        let mut out = s.serialize_struct("Alert", 6)?;
        out.serialize_field("rule", &self.rule)?;
        out.serialize_field("event", &AsWritten(&self.event))?;
        match enrichment {
            Some(e) => out.serialize_field("enrichment", e)?,
            None => out.skip_field("enrichment")?,
        }
        out.serialize_field("source", &self.source)?;
        match &self.summary {
            Some(summary) => out.serialize_field("summary", summary)?,
            None => out.skip_field("summary")?,
        }
        match self.suppressed {
            Some(n) => out.serialize_field("suppressed", &n)?,
            None => out.skip_field("suppressed")?,
        }
        out.end()
    }
}

/// What an alert says about the rule that raised it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// The rule's `id`.
    pub id: String,
    /// The rule's `title`.
    pub title: String,
    /// The rule's `level`.
    pub level: Level,
    /// The rule's `tags`.
    pub tags: Vec<String>,
    /// The rule's `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rule's `falsepositives`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub falsepositives: Vec<String>,
    /// Aliases of the topics this rule's alerts go to; empty means the default topic.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

impl RuleRef {
    /// What alerts say about `rule`.
    pub fn new(rule: &Rule) -> Self {
        RuleRef {
            id: rule.id.clone(),
            title: rule.title.clone(),
            level: rule.level,
            tags: rule.tags.clone(),
            description: rule.description.clone(),
            falsepositives: rule.falsepositives.clone(),
            notify: rule.notify.clone(),
        }
    }
}

impl Alert {
    /// The alert for `rule` matching `event` in `source`, its summary template filled.
    pub fn new(rule: &Rule, event: impl Into<Arc<Value>>, source: ObjectRef) -> Self {
        let event = event.into();
        let summary = rule
            .summary
            .as_deref()
            .map(|t| summary_template::render(t, &event));
        Alert {
            rule: RuleRef::new(rule),
            event,
            source,
            summary,
            suppressed: None,
        }
    }

    /// A string field of the event by dotted path, if present.
    pub fn field(&self, path: &str) -> Option<&str> {
        field::get(&self.event, path).and_then(Value::as_str)
    }

    /// The alert JSON, as SQS and Lambda subscribers receive it.
    pub fn to_json(&self) -> String {
        // Serializing a Value-backed struct cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The alert JSON with the event cut to about `max_event_bytes` (see
    /// [`cap_event`](crate::render::sanitize::cap_event)); identical to [`Alert::to_json`] for
    /// ordinary events.
    pub fn to_json_capped(&self, max_event_bytes: usize) -> String {
        let capped = Alert {
            event: Arc::new(sanitize::cap_event(
                &self.event,
                sanitize::JSON_STRING_MAX,
                max_event_bytes,
            )),
            ..self.clone()
        };
        capped.to_json()
    }

    /// What makes two alerts the same alert: the event and the rule. CloudTrail can deliver an
    /// event twice; this key (hashed) dedupes it in a batch and on FIFO topics.
    pub fn identity(&self) -> String {
        match self.field("eventID").filter(|s| !s.is_empty()) {
            Some(id) => format!("{id}\u{0}{}", self.rule.id),
            None => format!("{}\u{0}{}", self.event, self.rule.id),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn alert(title: &str) -> Alert {
        Alert {
            rule: RuleRef {
                id: "r1".into(),
                title: title.into(),
                level: Level::High,
                tags: vec!["attack.impact".into()],
                description: None,
                falsepositives: vec![],
                notify: vec![],
            },
            event: Arc::new(json!({"eventName": "RebootInstance", "eventID": "e1",
                          "userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}})),
            source: ObjectRef::S3 {
                bucket: "b".into(),
                key: "k".into(),
            },
            summary: None,
            suppressed: None,
        }
    }

    #[test]
    fn alert_json_has_rule_event_and_source() {
        let v: Value = serde_json::from_str(&alert("t").to_json()).unwrap();
        assert_eq!(
            v["rule"],
            json!({"id": "r1", "title": "t", "level": "high", "tags": ["attack.impact"]})
        );
        assert_eq!(v["event"]["eventID"], "e1");
        assert_eq!(v["source"], json!({"bucket": "b", "key": "k"}));
    }

    #[test]
    fn capped_json_equals_full_json_for_ordinary_events() {
        let a = alert("t");
        assert_eq!(a.to_json_capped(10_000), a.to_json());
    }
}
