//! SNS message attributes of an alert, a digest or a correlation alert, so subscribers can
//! filter (`{"level": ["critical"]}`) without parsing bodies. Kept SDK-free here; the publisher converts them.

use super::facts::Facts;
use super::sanitize;
use crate::alert::{Alert, CorrelationAlert, Digest};

/// One message attribute: `String` or `String.Array` (a JSON array in `value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: &'static str,
    /// `String` or `String.Array`.
    pub data_type: &'static str,
    /// The cleaned value (a JSON array for `String.Array`).
    pub value: String,
}

impl Attribute {
    /// A `String` attribute; `None` when the cleaned value is empty (SNS rejects those).
    pub fn string(name: &'static str, value: &str) -> Option<Attribute> {
        let value = sanitize::clean(value, sanitize::FIELD_MAX);
        (!value.is_empty()).then_some(Attribute {
            name,
            data_type: "String",
            value,
        })
    }

    /// A `String.Array` of up to 50 cleaned values; `None` when none is left.
    pub fn array(name: &'static str, values: &[String]) -> Option<Attribute> {
        let values: Vec<String> = values
            .iter()
            .take(50)
            .map(|v| sanitize::clean(v, sanitize::FIELD_MAX))
            .filter(|v| !v.is_empty())
            .collect();
        (!values.is_empty()).then(|| Attribute {
            name,
            data_type: "String.Array",
            value: serde_json::to_string(&values).unwrap_or_else(|_| "[]".into()),
        })
    }

    /// What SNS counts toward the message size.
    pub fn size(&self) -> usize {
        self.name.len() + self.data_type.len() + self.value.len()
    }
}

/// `kind`, `level`, `rule_id`, `event_source`, `event_name`, `account_id`, `region` and
/// `tags`; an attribute whose value is unknown is left out (SNS rejects empty values).
pub fn attributes(alert: &Alert, f: &Facts) -> Vec<Attribute> {
    let level = serde_json::to_value(alert.rule.level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    [
        Attribute::string("kind", "alert"),
        Attribute::string("level", &level),
        Attribute::string("rule_id", &alert.rule.id),
        f.event_source
            .as_deref()
            .and_then(|v| Attribute::string("event_source", v)),
        f.event_name
            .as_deref()
            .and_then(|v| Attribute::string("event_name", v)),
        f.account
            .as_deref()
            .and_then(|v| Attribute::string("account_id", v)),
        f.region
            .as_deref()
            .and_then(|v| Attribute::string("region", v)),
        Attribute::array("tags", &alert.rule.tags),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl Digest {
    /// SNS message attributes: `kind` digest, level, rule, and single-valued event fields.
    pub fn attributes(&self) -> Vec<Attribute> {
        let level = serde_json::to_value(self.rule.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let single = |name, v: &[String]| match v {
            [one] => Attribute::string(name, one),
            _ => None,
        };
        [
            Attribute::string("kind", "digest"),
            Attribute::string("level", &level),
            Attribute::string("rule_id", &self.rule.id),
            single("event_name", &self.event_names),
            single("account_id", &self.account_ids),
            single("region", &self.regions.values()),
            Attribute::array("tags", &self.rule.tags),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl CorrelationAlert {
    /// SNS message attributes: `kind` correlation, level, `rule_id` (the correlation's id),
    /// tags.
    pub fn attributes(&self) -> Vec<Attribute> {
        let level = serde_json::to_value(self.correlation.level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        [
            Attribute::string("kind", "correlation"),
            Attribute::string("level", &level),
            Attribute::string("rule_id", &self.correlation.id),
            Attribute::array("tags", &self.correlation.tags),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::tests::alert;

    #[test]
    fn names_level_rule_event_and_tags() {
        let mut a = alert("t");
        std::sync::Arc::make_mut(&mut a.event)["awsRegion"] = "us-east-1".into();
        let attrs = attributes(&a, &Facts::of(&a));
        let get = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| a.value.clone());
        assert_eq!(get("level").as_deref(), Some("high"));
        assert_eq!(get("rule_id").as_deref(), Some("r1"));
        assert_eq!(get("event_name").as_deref(), Some("RebootInstance"));
        assert_eq!(get("region").as_deref(), Some("us-east-1"));
        assert_eq!(get("account_id"), None);
        assert_eq!(get("tags").as_deref(), Some(r#"["attack.impact"]"#));
    }
}
