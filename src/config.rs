//! Settings read from the environment at cold start.
//!
//! Everything the function needs is checked here, once, so a misconfiguration fails the cold
//! start loudly instead of dropping alerts on the first delivery.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::publish::{Routes, UnknownAlias, DEFAULT_MAX_ALERTS_PER_RULE};
use crate::rules::{RuleErrors, RuleLimits, RuleSet};
use crate::rules_source::{self, S3Uri};

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
    #[error("no rules loaded from {origin}: refusing to run with zero rules ({why})")]
    NoRules { origin: String, why: String },
    #[error(transparent)]
    Notify(#[from] UnknownAlias),
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
        }
    }

    /// Reads the environment; rules come from `RULES_S3_URI`, `RULES_PATH`, or the bundled set.
    pub async fn from_env(sdk: &aws_config::SdkConfig) -> Result<Settings, ConfigError> {
        let topic = var("ALERT_TOPIC_ARN").ok_or(ConfigError::Missing("ALERT_TOPIC_ARN"))?;
        let rules_s3 = var("RULES_S3_URI")
            .map(|v| {
                S3Uri::parse(&v).ok_or(invalid("RULES_S3_URI", v, "expected s3://bucket/prefix/"))
            })
            .transpose()?;
        let limits = rule_limits()?;
        let (rules, origin) = match (&rules_s3, var("RULES_PATH")) {
            (Some(uri), _) => {
                let client = aws_sdk_s3::Client::new(sdk);
                (
                    rules_source::load_s3(&client, uri, &limits).await?.0,
                    uri.to_string(),
                )
            }
            (None, Some(path)) => (
                matching(&limits).paths(&[PathBuf::from(&path)]).build()?,
                path,
            ),
            (None, None) => (
                matching(&limits).bundled().build()?,
                "the bundled rules".to_string(),
            ),
        };
        let rules = require_rules(rules, &origin)?;
        for w in rules.skipped().iter().chain(rules.warnings()) {
            tracing::warn!(warning = %w, "rule loaded with a warning or skipped");
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
        Ok(settings)
    }
}

/// A builder for a set that only matches (no `tests:`), held to `limits`.
fn matching(limits: &RuleLimits) -> crate::rules::RuleSetBuilder {
    RuleSet::builder().limits(*limits).tests(false)
}

/// `MAX_RULE_FILE_BYTES`, `MAX_RULES` and `MAX_REGEX_BYTES`, each defaulting when unset or empty;
/// a value that is not a whole number above 0 is an error, not a silent default.
pub fn rule_limits() -> Result<RuleLimits, ConfigError> {
    let mut limits = RuleLimits::default();
    for (name, slot) in [
        ("MAX_RULE_FILE_BYTES", &mut limits.max_file_bytes),
        ("MAX_RULES", &mut limits.max_rules),
        ("MAX_REGEX_BYTES", &mut limits.max_regex_bytes),
    ] {
        if let Some(v) = var(name) {
            *slot = usize::try_from(positive(name, v.clone())?)
                .map_err(|_| invalid(name, v, "expected a whole number above 0"))?;
        }
    }
    Ok(limits)
}

/// Rules for the CLI from `paths` (the bundled ones when empty), with the environment's limits.
pub fn local_rules(paths: &[PathBuf], tests: bool) -> Result<RuleSet, ConfigError> {
    let builder = RuleSet::builder().limits(rule_limits()?).tests(tests);
    let builder = if paths.is_empty() {
        builder.bundled()
    } else {
        builder.paths(paths)
    };
    Ok(builder.build()?)
}

/// [`local_rules`] for `trailwatch scan`, which refuses to run (exit 2) with no rule at all.
pub fn scan_rules(paths: &[PathBuf]) -> Result<RuleSet, ConfigError> {
    let origin = if paths.is_empty() {
        "the bundled rules".to_owned()
    } else {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    require_rules(local_rules(paths, false)?, &origin)
}

/// `rules` unless it is empty; the error says why nothing loaded.
pub fn require_rules(rules: RuleSet, origin: &str) -> Result<RuleSet, ConfigError> {
    if !rules.is_empty() {
        return Ok(rules);
    }
    let why = match rules.skipped() {
        [] => "no rule files found".to_owned(),
        skipped => format!(
            "{} skipped: {}",
            skipped.len(),
            skipped
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    Err(ConfigError::NoRules {
        origin: origin.to_owned(),
        why,
    })
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
