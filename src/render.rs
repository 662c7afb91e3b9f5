//! Render stage: a match becomes an alert, in the forms its readers need.
//!
//! The alert JSON is the one shape shared by the CLI (`--format json`) and SNS subscribers, so a
//! rule tried locally produces exactly what production will send.

use serde::Serialize;
use serde_json::Value;

use crate::fetch::ObjectRef;
use crate::rules::{Level, Rule};

/// The alert JSON: which rule, the full record, and where it was read.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub rule: RuleRef,
    pub event: Value,
    pub source: ObjectRef,
}

/// What an alert says about the rule that raised it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
}

impl Alert {
    pub fn new(rule: &Rule, event: Value, source: ObjectRef) -> Self {
        Alert {
            rule: RuleRef {
                id: rule.id.clone(),
                title: rule.title.clone(),
                level: rule.level,
                tags: rule.tags.clone(),
            },
            event,
            source,
        }
    }

    /// A top-level string field of the event, if present.
    pub fn field(&self, path: &str) -> Option<&str> {
        path.split('.')
            .try_fold(&self.event, |v, part| v.get(part))
            .and_then(Value::as_str)
    }

    pub fn to_json(&self) -> String {
        // Serializing a Value-backed struct cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// SNS subjects must be ASCII-safe, free of control characters and under 100 characters.
pub fn subject(alert: &Alert) -> String {
    let level = format!("{:?}", alert.rule.level).to_uppercase();
    let raw = format!("[{level}] {}", alert.rule.title);
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                ' '
            }
        })
        .collect();
    truncate(clean.trim(), 99)
}

/// One readable line per alert, for terminals.
pub fn text_line(alert: &Alert) -> String {
    let get = |path| alert.field(path).unwrap_or("?");
    let who = alert
        .field("userIdentity.arn")
        .or_else(|| alert.field("userIdentity.type"))
        .unwrap_or("?");
    let level = format!("{:?}", alert.rule.level).to_uppercase();
    format!(
        "{level:<8} {title} | {name} by {who} from {ip} at {time} | eventID {id} | {source}",
        title = alert.rule.title,
        name = get("eventName"),
        ip = get("sourceIPAddress"),
        time = get("eventTime"),
        id = get("eventID"),
        source = alert.source,
    )
}

/// Cuts `s` to at most `max` characters on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(title: &str) -> Alert {
        Alert {
            rule: RuleRef {
                id: "r1".into(),
                title: title.into(),
                level: Level::High,
                tags: vec!["attack.impact".into()],
            },
            event: json!({"eventName": "RebootInstance", "eventID": "e1",
                          "userIdentity": {"type": "Root", "arn": "arn:aws:iam::1:root"}}),
            source: ObjectRef::S3 {
                bucket: "b".into(),
                key: "k".into(),
            },
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
    fn subject_is_short_ascii_and_clean() {
        let s = subject(&alert(&format!("Root reboot\u{7} — {}", "x".repeat(200))));
        assert!(s.len() < 100, "{s}");
        assert!(s.starts_with("[HIGH] Root reboot"));
        assert!(s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()));
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
}
