//! Settings read from the environment at cold start.
//!
//! Everything the function needs is checked here, once, so a misconfiguration fails the cold
//! start loudly instead of dropping alerts on the first delivery.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::decode::Limits;
use crate::enrich::{Downloaded, EnrichError, EnrichSources, Enricher};
use crate::pipeline;
use crate::plan::{PlanSettings, Routes, UnknownAlias, DEFAULT_MAX_ALERTS_PER_RULE};
use crate::rules::{RuleErrors, RuleLimits, RuleSet};
use crate::rules_source::{self, S3Uri};
use crate::state::DynamoStore;

/// The function's settings, read and checked once at cold start.
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
    /// Objects fetched and scanned at once (`MAX_CONCURRENCY`): when unset, the function
    /// scans [`pipeline::DEFAULT_CONCURRENCY`] at a time and `scan` one per core.
    pub max_concurrency: Option<usize>,
    /// `ALERT_TOPIC_ARN` plus every `TOPIC_<ALIAS>`, for rules with `notify:`.
    pub routes: Routes,
    /// Alerts per rule per object before a digest (`MAX_ALERTS_PER_RULE_PER_OBJECT`, default 20).
    pub max_alerts_per_rule_per_object: usize,
    /// Decompressed bytes per object and bytes per record (`MAX_OBJECT_BYTES`,
    /// `MAX_RECORD_BYTES`; defaults 4 GiB and 16 MiB).
    pub limits: crate::decode::Limits,
    /// Longest one object may take (`OBJECT_TIMEOUT_SECONDS`, default 120).
    pub object_timeout: Duration,
    /// The function's name in metrics (`AWS_LAMBDA_FUNCTION_NAME`, set by Lambda).
    pub function_name: String,
    /// The DynamoDB state table (`STATE_TABLE`). The function needs it
    /// ([`Settings::require_state_table`]); `scan` shares a table only when `--state` names
    /// one, so a local run never marks the function's alerts as sent by accident.
    pub state_table: Option<String>,
    /// What to do when the state table cannot be reached (`STATE_UNAVAILABLE`, default deliver).
    pub state_unavailable: StateUnavailable,
    /// How long a claim holds before another invocation may take it over unless renewed
    /// (`STATE_LEASE_SECONDS`, default 60): a sender renews it every third of a lease.
    pub state_lease: Duration,
    /// How long delivered identities and suppression counts are kept (`STATE_RETENTION_DAYS`,
    /// default 30): past it a redelivered file alerts again.
    pub state_retention: Duration,
    /// How long after its window a record still counts for a correlation
    /// (`CORRELATION_LATENESS`, default `1h`).
    pub correlation_lateness: Duration,
    /// Where the enrich stage's data comes from (`ENRICH_ACCOUNTS`, `ENRICH_IP_RANGES`,
    /// `ENRICH_ASN_DB`, `ENRICH_COUNTRY_DB`).
    pub enrich_sources: EnrichSources,
    /// Those sources, loaded by [`Settings::load_enrichment`] (at cold start, and by `scan`
    /// once its flags have overridden the variables).
    pub enricher: Arc<Enricher>,
    /// Where the S3 sources were downloaded to, for the function's refresh.
    pub enrich_downloaded: Downloaded,
}

pub use crate::state::StateUnavailable;

/// A setting that stops the function from starting, named so it can be fixed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A variable's value does not parse.
    #[error("environment variable {name} is {value:?}: {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// Some rule file has errors.
    #[error("rules failed to load:\n{0}")]
    Rules(#[from] RuleErrors),
    /// `RULES_S3_URI` could not be read.
    #[error(transparent)]
    RulesS3(#[from] rules_source::SourceError),
    /// The rules loaded to nothing.
    #[error("no rules loaded from {origin}: refusing to run with zero rules ({why})")]
    NoRules {
        /// Where they were loaded from.
        origin: String,
        /// Why each was skipped.
        why: String,
    },
    /// A rule's `notify:` alias has no topic.
    #[error(transparent)]
    Notify(#[from] UnknownAlias),
    /// An `ENRICH_*` data file cannot be used.
    #[error(transparent)]
    Enrich(#[from] EnrichError),
    /// The function runs without `STATE_TABLE`.
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
            max_concurrency: None,
            max_alerts_per_rule_per_object: DEFAULT_MAX_ALERTS_PER_RULE,
            limits: Limits::default(),
            object_timeout: pipeline::DEFAULT_OBJECT_TIMEOUT,
            function_name: "trailwatch".into(),
            state_table: None,
            state_unavailable: StateUnavailable::default(),
            state_lease: crate::state::StateSettings::default().lease,
            state_retention: crate::state::DEFAULT_RETENTION,
            correlation_lateness: crate::correlate::DEFAULT_LATENESS,
            enrich_sources: EnrichSources::default(),
            enricher: Arc::default(),
            enrich_downloaded: Downloaded::default(),
        }
    }

    /// The state table's name, or the error the function refuses to start with.
    pub fn require_state_table(&self) -> Result<&str, ConfigError> {
        self.state_table.as_deref().ok_or(ConfigError::NoStateTable)
    }

    /// The function's state store on [`Settings::require_state_table`]'s table.
    pub fn state_store(&self, sdk: &aws_config::SdkConfig) -> Result<DynamoStore, ConfigError> {
        Ok(self.dynamo_store(sdk, self.require_state_table()?))
    }

    /// The pipeline's settings: SNS messages, routed by `notify:`, with storm control.
    pub fn pipeline(&self) -> pipeline::Settings {
        pipeline::Settings {
            limits: self.limits,
            object_timeout: Some(self.object_timeout),
            concurrency: self
                .max_concurrency
                .unwrap_or(pipeline::DEFAULT_CONCURRENCY),
            plan: PlanSettings {
                max_alerts_per_rule: self.max_alerts_per_rule_per_object,
                routes: self.routes.clone(),
                ..PlanSettings::default()
            },
            state: crate::state::StateSettings {
                lease: self.state_lease,
                unavailable: self.state_unavailable,
                claims: true,
            },
            correlation: crate::correlate::CorrelationSettings {
                lateness: self.correlation_lateness,
                clock: crate::correlate::Clock::Wall,
            },
            enrich: Arc::clone(&self.enricher),
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
                matching(&limits).embedded(crate::pack::FILES).build()?,
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
        let mut settings = Settings::env(topic, Arc::new(rules))?;
        let s3 = aws_sdk_s3::Client::new(sdk);
        settings.load_enrichment_with(Some(&s3)).await?;
        settings.routes = routes;
        settings.rules_s3 = rules_s3;
        Ok(settings)
    }
}

impl Settings {
    /// The one reading of the environment: every optional variable, over [`Settings::new`]'s
    /// defaults. The function calls it from [`Settings::from_env`] and `scan` calls it
    /// directly, then lets its flags override; both honour the same variables. A missing
    /// `STATE_TABLE` is not an error here: the handler asks [`Settings::require_state_table`].
    pub fn env(
        alert_topic_arn: impl Into<String>,
        rules: Arc<RuleSet>,
    ) -> Result<Settings, ConfigError> {
        let mut s = Settings::new(alert_topic_arn, rules);
        s.key_prefix = var("TRAIL_KEY_PREFIX");
        if let Some(v) = var("RULES_REFRESH_SECONDS") {
            let secs = v
                .parse()
                .map_err(|_| invalid("RULES_REFRESH_SECONDS", v, "expected seconds"))?;
            s.rules_refresh = Duration::from_secs(secs);
        }
        if let Some(v) = var("CORRELATION_LATENESS") {
            s.correlation_lateness = duration("CORRELATION_LATENESS", v)?;
        }
        if let Some(v) = var("MAX_CONCURRENCY") {
            s.max_concurrency = Some(positive("MAX_CONCURRENCY", v)? as usize);
        }
        if let Some(v) = var("MAX_ALERTS_PER_RULE_PER_OBJECT") {
            s.max_alerts_per_rule_per_object =
                positive("MAX_ALERTS_PER_RULE_PER_OBJECT", v)? as usize;
        }
        if let Some(v) = var("MAX_OBJECT_BYTES") {
            s.limits.max_object_bytes = positive("MAX_OBJECT_BYTES", v)?;
        }
        if let Some(v) = var("MAX_RECORD_BYTES") {
            s.limits.max_record_bytes = positive("MAX_RECORD_BYTES", v)?;
        }
        if let Some(v) = var("OBJECT_TIMEOUT_SECONDS") {
            s.object_timeout = Duration::from_secs(positive("OBJECT_TIMEOUT_SECONDS", v)?);
        }
        if let Some(name) = var("AWS_LAMBDA_FUNCTION_NAME") {
            s.function_name = name;
        }
        s.state_table = var("STATE_TABLE");
        if let Some(v) = var("STATE_UNAVAILABLE") {
            s.state_unavailable = match v.trim().to_ascii_lowercase().as_str() {
                "deliver" => StateUnavailable::Deliver,
                "fail" => StateUnavailable::Fail,
                _ => return Err(invalid("STATE_UNAVAILABLE", v, "expected deliver or fail")),
            };
        }
        if let Some(v) = var("STATE_LEASE_SECONDS") {
            s.state_lease = Duration::from_secs(positive("STATE_LEASE_SECONDS", v)?);
        }
        if let Some(v) = var("STATE_RETENTION_DAYS") {
            let days = positive("STATE_RETENTION_DAYS", v)?;
            s.state_retention = Duration::from_secs(days.saturating_mul(86_400));
        }
        s.enrich_sources = EnrichSources {
            accounts: var("ENRICH_ACCOUNTS").map(PathBuf::from),
            ip_ranges: var("ENRICH_IP_RANGES").map(PathBuf::from),
            asn_db: var("ENRICH_ASN_DB").map(PathBuf::from),
            country_db: var("ENRICH_COUNTRY_DB").map(PathBuf::from),
        };
        Ok(s)
    }

    /// Loads [`Settings::enrich_sources`], downloading those in S3: a file that cannot be used
    /// stops the start, named.
    pub async fn load_enrichment(&mut self) -> Result<(), ConfigError> {
        let client = match crate::enrich::any_in_s3(&self.enrich_sources) {
            true => Some(aws_sdk_s3::Client::new(&crate::aws::sdk_config().await)),
            false => None,
        };
        self.load_enrichment_with(client.as_ref()).await
    }

    /// [`Settings::load_enrichment`] with this S3 client.
    pub async fn load_enrichment_with(
        &mut self,
        s3: Option<&aws_sdk_s3::Client>,
    ) -> Result<(), ConfigError> {
        let (enricher, downloaded) = crate::enrich::load_once(s3, &self.enrich_sources).await?;
        self.enricher = Arc::new(enricher);
        self.enrich_downloaded = downloaded;
        Ok(())
    }

    /// A DynamoDB state store on `table`, kept for this configuration's retention.
    pub fn dynamo_store(&self, sdk: &aws_config::SdkConfig, table: &str) -> DynamoStore {
        DynamoStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            table,
            self.state_retention,
        )
    }
}

/// `90m`, `1h`, `2d`, `30s`, or whole seconds; `0` is allowed (no lateness at all).
fn duration(name: &'static str, v: String) -> Result<Duration, ConfigError> {
    crate::rules::duration::parse(&v, crate::rules::duration::Syntax::Env)
        .map_err(|_| invalid(name, v, "expected a duration such as 1h, 90m or 3600"))
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
        builder.embedded(crate::pack::FILES)
    } else {
        builder.paths(paths)
    };
    let mut rules = builder.build()?;
    if tests {
        // A case is judged as the pipeline would judge its record: with the enrichment that
        // needs no data files (the actor, the source's kind), unless the case gives its own.
        let enricher = Enricher::default();
        rules.prepare_test_events(|event| {
            if event.get(crate::enrich::FIELD).is_none() {
                enricher.add_to(event);
            }
        });
    }
    Ok(rules)
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

    /// `CORRELATION_LATENESS` is read by the rules' duration parser: units as rules write
    /// them, bare seconds as before, and an error that names the variable and the value.
    #[test]
    fn lateness_takes_units_or_seconds_and_names_itself_when_wrong() {
        let d = |v: &str| duration("CORRELATION_LATENESS", v.to_owned());
        assert_eq!(d("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(d("3600").unwrap(), Duration::from_secs(3600));
        assert_eq!(d("0").unwrap(), Duration::ZERO);
        for bad in ["1w", "1.5h", "", "h"] {
            let err = d(bad).unwrap_err().to_string();
            assert!(
                err.contains("CORRELATION_LATENESS") && err.contains("1h, 90m or 3600"),
                "{err}"
            );
        }
    }
}
