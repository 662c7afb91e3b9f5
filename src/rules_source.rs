//! Rules kept in S3 (`RULES_S3_URI`), re-read while the function stays warm.
//!
//! Operators change rules without redeploying: every `RULES_REFRESH_SECONDS` the prefix's ETags
//! are listed, and only when they changed is the set downloaded and compiled. A set that fails
//! validation never replaces a working one; the errors are logged with `file:line:col`.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::rules::{RuleErrors, RuleLimits, RuleSet};

/// `s3://bucket/prefix/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (may be empty).
    pub prefix: String,
}

impl S3Uri {
    /// Parses `s3://bucket/prefix/`; `None` for anything else.
    pub fn parse(text: &str) -> Option<S3Uri> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Uri {
            bucket: bucket.into(),
            prefix: prefix.into(),
        })
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Why rules could not be read from S3.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("reading rules from {uri}: {message}")]
    /// Listing or reading the prefix failed.
    S3 {
        /// The prefix.
        uri: String,
        /// What S3 said.
        message: String,
    },
    #[error("rules under {uri} failed validation:\n{errors}")]
    /// The files were read but do not validate.
    Invalid {
        /// The prefix.
        uri: String,
        /// Every error, `file:line:col`.
        errors: RuleErrors,
    },
}

/// The (key, ETag) pairs of a rules prefix: equal fingerprints mean nothing changed.
pub type Fingerprint = Vec<(String, String)>;

fn is_rule_file(key: &str) -> bool {
    key.ends_with(".yml") || key.ends_with(".yaml")
}

/// Lists the prefix's rule files with their ETags, sorted.
pub async fn fingerprint(
    client: &aws_sdk_s3::Client,
    uri: &S3Uri,
) -> Result<Fingerprint, SourceError> {
    let s3_error = |e: String| SourceError::S3 {
        uri: uri.to_string(),
        message: e,
    };
    let mut pages = client
        .list_objects_v2()
        .bucket(&uri.bucket)
        .prefix(&uri.prefix)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| s3_error(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        for object in page.contents() {
            let key = object.key().unwrap_or_default();
            if is_rule_file(key) {
                out.push((
                    key.to_string(),
                    object.e_tag().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Downloads and compiles every rule file under the prefix, held to `limits`.
pub async fn load_s3(
    client: &aws_sdk_s3::Client,
    uri: &S3Uri,
    limits: &RuleLimits,
) -> Result<(RuleSet, Fingerprint), SourceError> {
    let s3_error = |e: String| SourceError::S3 {
        uri: uri.to_string(),
        message: e,
    };
    let print = fingerprint(client, uri).await?;
    let mut sources = Vec::with_capacity(print.len());
    for (key, _) in &print {
        let object = client
            .get_object()
            .bucket(&uri.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                s3_error(format!(
                    "{key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                ))
            })?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| s3_error(format!("{key}: {e}")))?;
        let text =
            String::from_utf8(bytes.to_vec()).map_err(|_| s3_error(format!("{key}: not UTF-8")))?;
        let name = key.strip_prefix(&uri.prefix).unwrap_or(key).to_string();
        sources.push((name, text));
    }
    let rules = RuleSet::builder()
        .limits(*limits)
        .tests(false)
        .sources(&sources)
        .build()
        .map_err(|errors| SourceError::Invalid {
            uri: uri.to_string(),
            errors,
        })?;
    Ok((rules, print))
}

/// The rules in force, swapped when the S3 prefix changes and the new set validates.
pub struct RuleStore {
    remote: Option<(aws_sdk_s3::Client, S3Uri, Duration)>,
    state: Mutex<State>,
}

struct State {
    rules: Arc<RuleSet>,
    fingerprint: Option<Fingerprint>,
    checked: Instant,
}

impl RuleStore {
    /// Rules that never change (bundled, or from a path).
    pub fn fixed(rules: Arc<RuleSet>) -> Self {
        let state = State {
            rules,
            fingerprint: None,
            checked: Instant::now(),
        };
        RuleStore {
            remote: None,
            state: Mutex::new(state),
        }
    }

    /// Rules re-read from `uri` at most every `refresh`.
    pub fn s3(
        rules: Arc<RuleSet>,
        client: aws_sdk_s3::Client,
        uri: S3Uri,
        refresh: Duration,
    ) -> Self {
        let state = State {
            rules,
            fingerprint: None,
            checked: Instant::now(),
        };
        RuleStore {
            remote: Some((client, uri, refresh)),
            state: Mutex::new(state),
        }
    }

    fn snapshot(&self) -> (Arc<RuleSet>, Option<Fingerprint>, Instant) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (
            Arc::clone(&state.rules),
            state.fingerprint.clone(),
            state.checked,
        )
    }

    fn store(&self, rules: Option<Arc<RuleSet>>, fingerprint: Option<Fingerprint>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rules) = rules {
            state.rules = rules;
        }
        if fingerprint.is_some() {
            state.fingerprint = fingerprint;
        }
        state.checked = Instant::now();
    }

    /// The current rules, refreshed first when the window has passed.
    pub async fn current(&self) -> Arc<RuleSet> {
        let (rules, known, checked) = self.snapshot();
        let Some((client, uri, refresh)) = &self.remote else {
            return rules;
        };
        if checked.elapsed() < *refresh {
            return rules;
        }
        let print = match fingerprint(client, uri).await {
            Ok(print) => print,
            Err(e) => {
                tracing::warn!(error = %e, "rules refresh failed; keeping the current rules");
                self.store(None, None);
                return rules;
            }
        };
        if known.as_ref() == Some(&print) {
            self.store(None, None);
            return rules;
        }
        // A reload is held to the limits the running set was loaded with.
        match load_s3(client, uri, &rules.limits()).await {
            Ok((fresh, print)) if !fresh.is_empty() => {
                tracing::info!(rules = fresh.len(), from = %uri, "rules reloaded");
                let fresh = Arc::new(fresh);
                self.store(Some(Arc::clone(&fresh)), Some(print));
                fresh
            }
            Ok(_) => {
                tracing::error!(from = %uri, "new rule set is empty; keeping the current rules");
                self.store(None, Some(print));
                rules
            }
            Err(e) => {
                tracing::error!(error = %e, "new rule set rejected; keeping the current rules");
                // Remember the bad set's fingerprint so it is not re-downloaded every window.
                self.store(None, Some(print));
                rules
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_parse() {
        let uri = S3Uri::parse("s3://b/rules/").unwrap();
        assert_eq!((uri.bucket.as_str(), uri.prefix.as_str()), ("b", "rules/"));
        assert_eq!(S3Uri::parse("s3://b").unwrap().prefix, "");
        assert_eq!(S3Uri::parse("b/rules"), None);
        assert_eq!(S3Uri::parse("s3:///x"), None);
    }
}
