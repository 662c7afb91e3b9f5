//! The rule language: Sigma YAML rules over CloudTrail records.
//!
//! A rule goes through three stages, each its own module:
//!
//! - **parse** ([`yaml`], [`parse`], [`modifiers`], [`condition`]): YAML → [`ast::RuleAst`].
//!   Every YAML node keeps its position, so each problem is reported as `file:line:col`.
//! - **compile** ([`compile`], [`pattern`]): the AST → matchers built once at load:
//!   lowercased needles, regexes, CIDRs. Rules are then indexed ([`index`]) by the
//!   `eventName`/`eventSource` values their conditions require.
//! - **evaluate** ([`eval`]): a record is checked only against the rules its
//!   `eventName`/`eventSource` can reach, comparing without allocating in the common case.
//!
//! [`explain`] traces one evaluation for `trailwatch rules explain` and for the `tests:`
//! cases rule files carry; [`reference`] is a slow, direct interpreter of the AST that
//! property tests hold the compiled evaluator to. `RULES.md` is the rule author's reference.
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

pub mod ast;
pub mod compile;
pub mod condition;
pub mod eval;
pub mod explain;
pub mod index;
pub mod limits;
mod load;
pub mod modifiers;
pub mod parse;
pub mod pattern;
pub mod reference;
mod strip;
pub mod suppress;
pub mod yaml;

pub use ast::{Expect, TestCase};
pub use explain::{CaseOutcome, Explanation, FieldTrace, SelectionTrace};
pub use limits::RuleLimits;

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_rules.rs"));
}

/// How urgent a rule's alerts are, as Sigma spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error for a level name Sigma does not define.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown level `{0}`: expected informational, low, medium, high or critical")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Level, UnknownLevel> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return Err(UnknownLevel(s.to_owned())),
        })
    }
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
    /// The file path (or bundled name) the rule came from.
    pub source: String,
    pub notify: Vec<String>,
    pub summary: Option<String>,
    /// `suppress:`: repeats of one combination of field values within a window are counted.
    pub suppress: Option<suppress::Suppress>,
    detection: Arc<compile::CompiledDetection>,
    tests: Arc<Vec<TestCase>>,
}

impl Rule {
    fn new(ast: ast::RuleAst, detection: Arc<compile::CompiledDetection>) -> Rule {
        Rule {
            id: ast.id,
            title: ast.title,
            level: ast.level,
            tags: ast.tags,
            description: ast.description,
            falsepositives: ast.falsepositives,
            source: ast.source,
            notify: ast.notify,
            summary: ast.summary,
            suppress: ast.suppress,
            detection,
            tests: Arc::new(ast.tests),
        }
    }

    /// Whether this rule matches the record (no index pre-check).
    pub fn is_match(&self, record: &serde_json::Value) -> bool {
        self.detection.matches(record)
    }

    /// The evaluation tree of this rule over `record`.
    pub fn explain(&self, record: &serde_json::Value) -> Explanation {
        explain::explain(&self.detection, self, record)
    }

    /// The `tests:` cases written in the rule file.
    pub fn tests(&self) -> &[TestCase] {
        &self.tests
    }

    /// Runs the rule's `tests:` cases.
    pub fn run_tests(&self) -> Vec<CaseOutcome> {
        self.tests
            .iter()
            .map(|c| explain::run_case(&self.detection, self, c))
            .collect()
    }
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
    index: index::RuleIndex,
    notes: Vec<String>,
}

impl RuleSet {
    /// The rules under `rules/` embedded at build time (with `rules/placeholders.yml`), for
    /// matching ([`RuleSet::from_sources_for_matching`]).
    pub fn bundled() -> Result<RuleSet, RuleErrors> {
        RuleSet::from_sources_for_matching(&bundled_named())
    }

    /// [`RuleSet::bundled`] with each rule's `tests:` cases, for `trailwatch rules test`.
    pub fn bundled_with_tests() -> Result<RuleSet, RuleErrors> {
        RuleSet::from_sources(&bundled_named())
    }

    /// Names and contents of the bundled rule files, relative to `rules/`.
    pub fn bundled_sources() -> &'static [(&'static str, &'static str)] {
        bundled::BUNDLED
    }

    /// Loads rule files and directories; every file is checked and all errors returned.
    /// Limits come from the environment ([`RuleLimits::from_env`]).
    pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<RuleSet, RuleErrors> {
        RuleSet::load_paths_keeping_tests(paths, true)
    }

    /// [`RuleSet::load_paths`] for the function, which only matches: `tests:` cases are left
    /// unparsed, as in [`RuleSet::from_sources_for_matching`].
    pub fn load_paths_for_matching<P: AsRef<Path>>(paths: &[P]) -> Result<RuleSet, RuleErrors> {
        RuleSet::load_paths_keeping_tests(paths, false)
    }

    fn load_paths_keeping_tests<P: AsRef<Path>>(
        paths: &[P],
        tests: bool,
    ) -> Result<RuleSet, RuleErrors> {
        let limits = RuleLimits::from_env().map_err(|e| RuleErrors(vec![e]))?;
        let mut errors = Vec::new();
        let mut groups: Vec<load::Group> = paths
            .iter()
            .map(|p| load::read_path(p.as_ref(), &limits, &mut errors))
            .collect();
        if !tests {
            groups.iter_mut().for_each(load::Group::skip_tests);
        }
        load::build(groups, errors, &limits)
    }

    /// Loads in-memory `(name, yaml)` sources; one named `placeholders.yml` supplies
    /// placeholders. Limits come from the environment ([`RuleLimits::from_env`]).
    pub fn from_sources(sources: &[(String, String)]) -> Result<RuleSet, RuleErrors> {
        let limits = RuleLimits::from_env().map_err(|e| RuleErrors(vec![e]))?;
        RuleSet::from_sources_with(sources, &limits)
    }

    /// [`RuleSet::from_sources`] for a function that only matches and never runs a rule's
    /// `tests:` cases: they are blanked line for line before parsing (line numbers in errors
    /// stay true). In the bundled rules they are four fifths of the YAML, and parsing them was
    /// most of the cold start.
    pub fn from_sources_for_matching(sources: &[(String, String)]) -> Result<RuleSet, RuleErrors> {
        let limits = RuleLimits::from_env().map_err(|e| RuleErrors(vec![e]))?;
        let mut group = load::group_sources(sources);
        group.skip_tests();
        load::build(vec![group], Vec::new(), &limits)
    }

    /// [`RuleSet::from_sources`] with explicit limits.
    pub fn from_sources_with(
        sources: &[(String, String)],
        limits: &RuleLimits,
    ) -> Result<RuleSet, RuleErrors> {
        load::build(vec![load::group_sources(sources)], Vec::new(), limits)
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

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Cheap pre-check: `false` only when no rule could match a record with these
    /// `eventSource`/`eventName` values (`None` meaning absent or null).
    pub fn may_match(&self, event_source: Option<&str>, event_name: Option<&str>) -> bool {
        self.index
            .may_match(event_source, event_name, index::Identity::Unknown)
    }

    /// [`RuleSet::may_match`] knowing `userIdentity.type` too (`None`: absent or null), which
    /// lets root-usage rules, filed under it, skip every other record unparsed.
    pub fn may_match_identity(
        &self,
        event_source: Option<&str>,
        event_name: Option<&str>,
        identity_type: Option<&str>,
    ) -> bool {
        self.index.may_match(
            event_source,
            event_name,
            index::Identity::Known(identity_type),
        )
    }

    /// Appends the rules matching `record`, in load order.
    pub fn matches<'a>(&'a self, record: &serde_json::Value, out: &mut Vec<&'a Rule>) {
        let mut cand = Vec::new();
        self.index.candidates(record, self.rules.len(), &mut cand);
        out.extend(
            cand.into_iter()
                .filter_map(|i| self.rules.get(i))
                .filter(|r| r.detection.matches(record)),
        );
    }

    /// Why rules were skipped: non-CloudTrail logsource, deprecated/unsupported status,
    /// correlation rules.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// The bundled rule files as `(rules/<name>, yaml)`.
fn bundled_named() -> Vec<(String, String)> {
    bundled::BUNDLED
        .iter()
        .map(|(name, body)| (format!("rules/{name}"), (*body).to_owned()))
        .collect()
}
