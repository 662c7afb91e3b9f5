//! Settings read from the environment at cold start.
//!
//! Everything the function needs is checked here, once, so a misconfiguration fails the cold
//! start loudly instead of dropping alerts on the first delivery.

use std::path::PathBuf;
use std::sync::Arc;

use crate::rules::{RuleErrors, RuleSet};

#[derive(Debug)]
pub struct Settings {
    /// Where alerts go.
    pub alert_topic_arn: String,
    /// The compiled rules: the ones bundled at build time unless `RULES_PATH` names others.
    pub rules: Arc<RuleSet>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("rules failed to load:\n{0}")]
    Rules(#[from] RuleErrors),
    #[error("no rules loaded from {0}: refusing to run with zero rules")]
    NoRules(String),
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
        Ok(Settings {
            alert_topic_arn,
            rules: Arc::new(rules),
        })
    }
}
