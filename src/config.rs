//! Settings read from the environment at cold start.
//!
//! Everything the function needs is checked here, once, so a misconfiguration fails the cold
//! start loudly instead of dropping alerts on the first delivery.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::publish::{Routes, UnknownAlias, DEFAULT_MAX_ALERTS_PER_RULE};
use crate::rules::{RuleErrors, RuleSet};
use crate::rules_source::{self, S3Uri};
use crate::state::DynamoStore;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where alerts go (`ALERT_TOPIC_ARN`).
    pub alert_topic_arn: String,
    /// The rules in force at cold start.
    pub rules: Arc<RuleSet>,
    /// Where rules are re-read from while the function runs (`RULES_S3_URI`).
    pub rules_s3: Option<S3Uri>,
    /// How often the rules prefix is checked for changes (`RULES_REFRESH_SECONDS`, default 300).
    pub rules_refresh: Duration,
    /// Only keys under this prefix are scanned (`TRAIL_KEY_PREFIX`).
    pub key_prefix: Option<String>,
    /// Objects fetched and scanned at once in one invocation (`MAX_CONCURRENCY`, default 4).
    pub max_concurrency: usize,
    /// `ALERT_TOPIC_ARN` plus every `TOPIC_<ALIAS>`, for rules with `notify:`.
    pub routes: Routes,
    /// Alerts per rule per object before a digest (`MAX_ALERTS_PER_RULE_PER_OBJECT`, default 20).
    pub max_alerts_per_rule_per_object: usize,
    /// Decompressed bytes per object and bytes per record (`MAX_OBJECT_BYTES`,
    /// `MAX_RECORD_BYTES`; defaults 4 GiB and 16 MiB).
    pub limits: crate::decode::Limits,
    /// Longest one object may take (`OBJECT_TIMEOUT_SECONDS`, default 120).
    pub object_timeout: Duration,
    /// The DynamoDB state table (`STATE_TABLE`). The function needs it
    /// ([`Settings::require_state_table`]); the CLI keeps its state in memory.
    pub state_table: Option<String>,
    /// What to do when the state table cannot be reached (`STATE_UNAVAILABLE`, default deliver).
    pub state_unavailable: StateUnavailable,
    /// How long a claim holds before another invocation may take it over
    /// (`STATE_LEASE_SECONDS`, default 60): longer than one batch takes to publish.
    pub state_lease: Duration,
    /// How long delivered identities and suppression counts are kept (`STATE_RETENTION_DAYS`,
    /// default 30): past it a redelivered file alerts again.
    pub state_retention: Duration,
}

/// `STATE_UNAVAILABLE`: when the state table cannot be reached after the SDK's retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateUnavailable {
    /// Send single-record alerts anyway (a duplicate beats a missed page) and fail the object
    /// as retryable afterwards.
    #[default]
    Deliver,
    /// Send nothing for the object and fail it as retryable.
    Fail,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is {value:?}: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("rules failed to load:\n{0}")]
    Rules(#[from] RuleErrors),
    #[error(transparent)]
    RulesS3(#[from] rules_source::SourceError),
    #[error("no rules loaded from {0}: refusing to run with zero rules")]
    NoRules(String),
    #[error(transparent)]
    Notify(#[from] UnknownAlias),
    #[error(
        "environment variable STATE_TABLE is not set: set it to the name of the DynamoDB table \
         that remembers delivered alerts (template.yaml creates it as StateTable and sets it)"
    )]
    NoStateTable,
}

impl Settings {
    /// Settings with every optional knob at its default.
    pub fn new(alert_topic_arn: impl Into<String>, rules: Arc<RuleSet>) -> Settings {
        let alert_topic_arn = alert_topic_arn.into();
        Settings {
            routes: Routes::single(alert_topic_arn.clone()),
            alert_topic_arn,
            rules,
            rules_s3: None,
            rules_refresh: Duration::from_secs(300),
            key_prefix: None,
            max_concurrency: 4,
            max_alerts_per_rule_per_object: DEFAULT_MAX_ALERTS_PER_RULE,
            limits: crate::decode::Limits::default(),
            object_timeout: crate::pipeline::DEFAULT_OBJECT_TIMEOUT,
            state_table: None,
            state_unavailable: StateUnavailable::Deliver,
            state_lease: Duration::from_secs(60),
            state_retention: crate::state::DEFAULT_RETENTION,
        }
    }

    /// The state table's name, or the error the function refuses to start with.
    pub fn require_state_table(&self) -> Result<&str, ConfigError> {
        self.state_table.as_deref().ok_or(ConfigError::NoStateTable)
    }

    /// The function's state store on [`Settings::require_state_table`]'s table.
    pub fn state_store(&self, sdk: &aws_config::SdkConfig) -> Result<DynamoStore, ConfigError> {
        let client = aws_sdk_dynamodb::Client::new(sdk);
        let table = self.require_state_table()?;
        Ok(DynamoStore::new(client, table, self.state_retention))
    }

    /// Reads the environment; rules come from `RULES_S3_URI`, `RULES_PATH`, or the bundled set.
    pub async fn from_env(sdk: &aws_config::SdkConfig) -> Result<Settings, ConfigError> {
        let topic = var("ALERT_TOPIC_ARN").ok_or(ConfigError::Missing("ALERT_TOPIC_ARN"))?;
        let rules_s3 = var("RULES_S3_URI")
            .map(|v| {
                S3Uri::parse(&v).ok_or(invalid("RULES_S3_URI", v, "expected s3://bucket/prefix/"))
            })
            .transpose()?;
        let (rules, origin) = match (&rules_s3, var("RULES_PATH")) {
            (Some(uri), _) => {
                let client = aws_sdk_s3::Client::new(sdk);
                (
                    rules_source::load_s3(&client, uri).await?.0,
                    uri.to_string(),
                )
            }
            (None, Some(path)) => (
                RuleSet::load_paths_for_matching(&[PathBuf::from(&path)])?,
                path,
            ),
            (None, None) => (RuleSet::bundled()?, "the bundled rules".to_string()),
        };
        if rules.is_empty() {
            return Err(ConfigError::NoRules(origin));
        }
        tracing::info!(rules = rules.len(), from = %origin, "rules loaded");
        let routes = Routes::from_vars(topic.clone(), std::env::vars());
        routes.check(&rules)?;
        let mut settings = Settings::new(topic, Arc::new(rules));
        settings.routes = routes;
        settings.rules_s3 = rules_s3;
        settings.key_prefix = var("TRAIL_KEY_PREFIX");
        if let Some(v) = var("RULES_REFRESH_SECONDS") {
            let secs = v
                .parse()
                .map_err(|_| invalid("RULES_REFRESH_SECONDS", v, "expected seconds"))?;
            settings.rules_refresh = Duration::from_secs(secs);
        }
        if let Some(v) = var("MAX_CONCURRENCY") {
            settings.max_concurrency = v.parse().ok().filter(|n| *n > 0).ok_or(invalid(
                "MAX_CONCURRENCY",
                v,
                "expected a whole number above 0",
            ))?;
        }
        if let Some(v) = var("MAX_ALERTS_PER_RULE_PER_OBJECT") {
            settings.max_alerts_per_rule_per_object =
                v.parse().ok().filter(|n| *n > 0).ok_or(invalid(
                    "MAX_ALERTS_PER_RULE_PER_OBJECT",
                    v,
                    "expected a whole number above 0",
                ))?;
        }
        if let Some(v) = var("MAX_OBJECT_BYTES") {
            settings.limits.max_object_bytes = positive("MAX_OBJECT_BYTES", v)?;
        }
        if let Some(v) = var("MAX_RECORD_BYTES") {
            settings.limits.max_record_bytes = positive("MAX_RECORD_BYTES", v)?;
        }
        if let Some(v) = var("OBJECT_TIMEOUT_SECONDS") {
            settings.object_timeout = Duration::from_secs(positive("OBJECT_TIMEOUT_SECONDS", v)?);
        }
        settings.read_state_env()?;
        Ok(settings)
    }
}

impl Settings {
    /// The `STATE_*` settings. A missing `STATE_TABLE` is not an error here: the handler asks
    /// [`Settings::require_state_table`], so tests and tools that never touch state need none.
    fn read_state_env(&mut self) -> Result<(), ConfigError> {
        self.state_table = var("STATE_TABLE");
        if let Some(v) = var("STATE_UNAVAILABLE") {
            self.state_unavailable = match v.trim().to_ascii_lowercase().as_str() {
                "deliver" => StateUnavailable::Deliver,
                "fail" => StateUnavailable::Fail,
                _ => return Err(invalid("STATE_UNAVAILABLE", v, "expected deliver or fail")),
            };
        }
        if let Some(v) = var("STATE_LEASE_SECONDS") {
            self.state_lease = Duration::from_secs(positive("STATE_LEASE_SECONDS", v)?);
        }
        if let Some(v) = var("STATE_RETENTION_DAYS") {
            let days = positive("STATE_RETENTION_DAYS", v)?;
            self.state_retention = Duration::from_secs(days.saturating_mul(86_400));
        }
        Ok(())
    }
}

/// A whole number above 0, or the error naming the variable.
fn positive(name: &'static str, value: String) -> Result<u64, ConfigError> {
    value.trim().parse().ok().filter(|n| *n > 0).ok_or(invalid(
        name,
        value,
        "expected a whole number above 0",
    ))
}

/// An environment variable, with empty treated as unset (templates often pass "").
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn invalid(name: &'static str, value: String, expected: &'static str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_is_told_what_to_set_without_a_state_table() {
        let mut settings = Settings::new("arn:aws:sns:us-east-1:1:t", Arc::new(RuleSet::default()));
        let err = settings.require_state_table().unwrap_err().to_string();
        assert!(
            err.contains("STATE_TABLE is not set") && err.contains("StateTable"),
            "{err}"
        );
        settings.state_table = Some("trailwatch-state".into());
        assert_eq!(settings.require_state_table().unwrap(), "trailwatch-state");
        assert_eq!(settings.state_unavailable, StateUnavailable::Deliver);
    }
}
