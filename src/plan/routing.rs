//! Which topic an alert goes to. A rule's `notify: [alias, ...]` names topics configured as
//! `TOPIC_<ALIAS>` environment variables; rules without it use `ALERT_TOPIC_ARN`. An alias with
//! no topic is a startup error, never a silent drop.

use std::collections::BTreeMap;

use crate::rules::RuleSet;

/// Where each rule's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    /// `ALERT_TOPIC_ARN`: rules without `notify:` go here.
    pub default_topic: String,
    /// Alias (as `TOPIC_<ALIAS>` spells it: upper-cased, `-` and `.` as `_`) → topic ARN.
    pub aliases: BTreeMap<String, String>,
}

/// A rule names a `notify:` alias that has no topic.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("rule {rule} notifies alias {alias:?}, but {var} is not set")]
pub struct UnknownAlias {
    /// The rule's id.
    pub rule: String,
    /// The alias it names.
    pub alias: String,
    /// The variable that would hold its topic.
    pub var: String,
}

/// The environment variable holding an alias's topic ARN.
pub fn alias_var(alias: &str) -> String {
    let key: String = alias
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TOPIC_{key}")
}

impl Routes {
    /// Routes from `(name, value)` pairs such as `std::env::vars()`: every non-empty `TOPIC_*`.
    pub fn from_vars(
        default_topic: impl Into<String>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Routes {
        let aliases = vars
            .into_iter()
            .filter(|(k, v)| k.starts_with("TOPIC_") && k.len() > 6 && !v.is_empty())
            .collect();
        Routes {
            default_topic: default_topic.into(),
            aliases,
        }
    }

    /// Every rule to one topic.
    pub fn single(default_topic: impl Into<String>) -> Routes {
        Routes::from_vars(default_topic, [])
    }

    /// Every `notify` alias of every rule has a topic.
    pub fn check(&self, rules: &RuleSet) -> Result<(), UnknownAlias> {
        for rule in rules.rules() {
            self.check_rule(&rule.id, &rule.notify)?;
        }
        Ok(())
    }

    /// Every `notify` alias of one rule has a topic.
    pub fn check_rule(&self, rule: &str, notify: &[String]) -> Result<(), UnknownAlias> {
        for alias in notify {
            let var = alias_var(alias);
            if !self.aliases.contains_key(&var) {
                return Err(UnknownAlias {
                    rule: rule.to_string(),
                    alias: alias.clone(),
                    var,
                });
            }
        }
        Ok(())
    }

    /// The topics for a rule's `notify` list, deduplicated. An alias without a topic (startup
    /// checks make this unreachable for loaded rules) falls back to the default, loudly.
    pub fn topics(&self, rule: &str, notify: &[String]) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for alias in notify {
            let topic = match self.aliases.get(&alias_var(alias)) {
                Some(t) => t.as_str(),
                None => {
                    tracing::error!(
                        rule,
                        alias,
                        "no topic for notify alias: using the default topic"
                    );
                    self.default_topic.as_str()
                }
            };
            if !out.contains(&topic) {
                out.push(topic);
            }
        }
        if out.is_empty() {
            out.push(&self.default_topic);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_map_through_upper_cased_env_names() {
        let routes = Routes::from_vars(
            "arn:default",
            [
                ("TOPIC_SEC_OPS".to_string(), "arn:secops".to_string()),
                ("OTHER".to_string(), "x".to_string()),
            ],
        );
        assert_eq!(alias_var("sec-ops"), "TOPIC_SEC_OPS");
        assert_eq!(routes.topics("r", &["sec-ops".into()]), vec!["arn:secops"]);
        assert_eq!(routes.topics("r", &[]), vec!["arn:default"]);
        let err = routes.check_rule("r9", &["pager".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rule r9 notifies alias \"pager\", but TOPIC_PAGER is not set"
        );
    }
}
