//! Placeholder for the rule language (parse → compile → evaluate); replaced by the real tree.
use std::path::Path;

use serde::Serialize;

/// How urgent a rule's alerts are, as Sigma spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

/// One compiled rule with the metadata alerts carry.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
    pub source: String,
    pub notify: Vec<String>,
    pub summary: Option<String>,
}

/// Errors from loading rules, each pointing at `file:line:col`.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct RuleErrors(pub Vec<RuleError>);

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: u64,
    pub col: u64,
    pub message: String,
}

/// A compiled, indexed set of rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    pub fn bundled() -> Result<RuleSet, RuleErrors> {
        Ok(RuleSet::default())
    }
    pub fn load_paths<P: AsRef<Path>>(_paths: &[P]) -> Result<RuleSet, RuleErrors> {
        Ok(RuleSet::default())
    }
    pub fn from_sources(_sources: &[(String, String)]) -> Result<RuleSet, RuleErrors> {
        Ok(RuleSet::default())
    }
    pub fn len(&self) -> usize {
        self.rules.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
    pub fn may_match(&self, _event_source: Option<&str>, _event_name: Option<&str>) -> bool {
        !self.rules.is_empty()
    }
    pub fn matches<'a>(&'a self, _record: &serde_json::Value, _out: &mut Vec<&'a Rule>) {}
    pub fn notes(&self) -> &[String] {
        &[]
    }
}
