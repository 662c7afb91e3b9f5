//! Render stage: a match becomes an alert, in the forms its readers need.
//!
//! The alert JSON is the one shape shared by the CLI (`--format json`) and machine subscribers
//! (SQS, Lambda), so a rule tried locally produces exactly what production will send. People get
//! [`text`] (email) and [`chatbot`] (Slack through AWS Chatbot); both read the same [`facts`].
//! Event fields are attacker-controlled: [`sanitize`] keeps them inert and bounded.

pub mod attributes;
pub mod chatbot;
pub mod correlation;
pub mod csv;
pub mod digest;
pub mod facts;
pub mod sanitize;
pub mod subject;
pub mod summary_template;
pub mod text;

use serde::Serialize;
use serde_json::Value;

use crate::fetch::ObjectRef;
use crate::rules::{Level, Rule};

pub use correlation::CorrelationAlert;
pub use digest::{Digest, DigestBuilder};
pub use facts::Facts;
pub use sanitize::truncate;
pub use subject::subject;

/// The alert JSON: which rule, the full record, and where it was read.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// The rule that matched.
    pub rule: RuleRef,
    /// The full CloudTrail record.
    pub event: Value,
    /// Where the record was read.
    pub source: ObjectRef,
    /// The rule's `summary:` template filled with this event's values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// For a rule with `suppress:`: repeats of this combination counted, not sent, since the
    /// last alert for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<u64>,
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
    pub fn new(rule: &Rule, event: Value, source: ObjectRef) -> Self {
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
        lookup(&self.event, path).and_then(Value::as_str)
    }

    /// The alert JSON, as SQS and Lambda subscribers receive it.
    pub fn to_json(&self) -> String {
        // Serializing a Value-backed struct cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The alert JSON with the event cut to about `max_event_bytes` (see
    /// [`sanitize::cap_event`]); identical to [`Alert::to_json`] for ordinary events.
    pub fn to_json_capped(&self, max_event_bytes: usize) -> String {
        let capped = Alert {
            event: sanitize::cap_event(&self.event, sanitize::JSON_STRING_MAX, max_event_bytes),
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

    /// The title line: the rule's title, then its summary when it has one.
    pub fn headline(&self) -> String {
        let title = sanitize::clean(&self.rule.title, sanitize::FIELD_MAX);
        let line = match &self.summary {
            Some(s) if !s.is_empty() => format!("{title}: {s}"),
            _ => title,
        };
        match self.suppressed {
            Some(n) if n > 0 => format!("{line} ({n} suppressed since the last alert)"),
            _ => line,
        }
    }
}

/// `HIGH`, `CRITICAL`, ...: the level as people scan for it.
pub fn level_upper(level: Level) -> String {
    format!("{level:?}").to_uppercase()
}

/// A value by dotted path; numeric parts index arrays.
pub fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

/// One readable line per alert, for terminals.
pub fn text_line(alert: &Alert) -> String {
    let get = |path| sanitize::clean(alert.field(path).unwrap_or("?"), sanitize::FIELD_MAX);
    let who = alert
        .field("userIdentity.arn")
        .or_else(|| alert.field("userIdentity.type"))
        .unwrap_or("?");
    format!(
        "{level:<8} {title} | {name} by {who} from {ip} at {time} | eventID {id} | {source}",
        level = level_upper(alert.rule.level),
        title = alert.headline(),
        name = get("eventName"),
        who = sanitize::clean(who, sanitize::FIELD_MAX),
        ip = get("sourceIPAddress"),
        time = get("eventTime"),
        id = get("eventID"),
        source = alert.source,
    )
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
            event: json!({"eventName": "RebootInstance", "eventID": "e1",
                          "userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}}),
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

    #[test]
    fn text_line_names_what_who_and_where() {
        let line = text_line(&alert("Root reboot"));
        assert!(
            line.contains("RebootInstance by arn:aws:iam::1:root"),
            "{line}"
        );
        assert!(line.contains("eventID e1"), "{line}");
    }

    #[test]
    fn lookup_walks_objects_and_arrays() {
        let v = json!({"a": [{"b": "x"}]});
        assert_eq!(lookup(&v, "a.0.b"), Some(&json!("x")));
        assert_eq!(lookup(&v, "a.1.b"), None);
    }
}
