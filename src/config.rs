//! Settings read from the environment at cold start.
//!
//! Everything the function needs is checked here, once, so a misconfiguration fails the cold
//! start loudly instead of dropping alerts on the first delivery.

use std::path::PathBuf;
use std::sync::Arc;

use crate::publish::{Routes, UnknownAlias, DEFAULT_MAX_ALERTS_PER_RULE};
use crate::rules::{RuleErrors, RuleSet};

#[derive(Debug)]
pub struct Settings {
    /// Where alerts go.
    pub alert_topic_arn: String,
    /// The compiled rules: the ones bundled at build time unless `RULES_PATH` names others.
    pub rules: Arc<RuleSet>,
    /// `ALERT_TOPIC_ARN` plus every `TOPIC_<ALIAS>`, for rules with `notify:`.
    pub routes: Routes,
    /// `MAX_ALERTS_PER_RULE_PER_OBJECT`: alerts per rule per object before a digest (20).
    pub max_alerts_per_rule_per_object: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("rules failed to load:\n{0}")]
    Rules(#[from] RuleErrors),
    #[error("no rules loaded from {0}: refusing to run with zero rules")]
    NoRules(String),
    #[error(transparent)]
    Notify(#[from] UnknownAlias),
    #[error("environment variable {var}: {message}")]
    Invalid { var: &'static str, message: String },
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        let alert_topic_arn = std::env::var("ALERT_TOPIC_ARN")
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("ALERT_TOPIC_ARN"))?;
        let (rules, origin) = match std::env::var_os("RULES_PATH").filter(|v| !v.is_empty()) {
            Some(path) => {
                let path = PathBuf::from(path);
                (RuleSet::load_paths(&[&path])?, path.display().to_string())
            }
            None => (RuleSet::bundled()?, "the bundled rules".to_string()),
        };
        if rules.is_empty() {
            return Err(ConfigError::NoRules(origin));
        }
        tracing::info!(rules = rules.len(), from = %origin, "rules loaded");
        let routes = Routes::from_vars(alert_topic_arn.clone(), std::env::vars());
        routes.check(&rules)?;
        let max_alerts_per_rule_per_object = match std::env::var("MAX_ALERTS_PER_RULE_PER_OBJECT") {
            Ok(v) if !v.is_empty() => {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError::Invalid {
                        var: "MAX_ALERTS_PER_RULE_PER_OBJECT",
                        message: format!("{v:?} is not a positive integer"),
                    })?
            }
            _ => DEFAULT_MAX_ALERTS_PER_RULE,
        };
        Ok(Settings {
            alert_topic_arn,
            rules: Arc::new(rules),
            routes,
            max_alerts_per_rule_per_object,
        })
    }
}
