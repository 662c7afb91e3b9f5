//! The rule language: Sigma YAML rules over CloudTrail records.
//!
//! A rule goes through these stages, each its own (private) module:
//!
//! - **parse** (`yaml`, `parse`, `detection`, `modifiers`, `condition`, `logsource`, `cases`):
//!   YAML → a rule or filter AST. Every YAML node keeps its position, so each problem is
//!   reported as `file:line:col`.
//! - **assemble** (`filter`): a rule's logsource scope and the filters that apply to it are
//!   ANDed into its detection, once every file is read.
//! - **compile** (`compile`, `pattern`): the AST → matchers built once at load: lowercased
//!   needles, regexes, CIDRs. Rules are then indexed (`index`) by the `eventName`/`eventSource`
//!   values their conditions require, and the field paths they read are collected (`paths`)
//!   so a record can be projected onto them.
//! - **evaluate** (`eval`): a record is checked only against the rules its
//!   `eventName`/`eventSource` can reach, comparing without allocating in the common case.
//!
//! A set is built by [`RuleSetBuilder`], which takes its [`RuleLimits`] as a parameter: the
//! library never reads the environment (`config` does, for the Lambda and the CLI).
//!
//! `explain` traces one evaluation for `trailwatch rules explain` and for the `tests:` cases
//! rule files carry ([`Explanation`], [`CaseOutcome`]); `reference`, compiled only with the
//! `testing` feature, is a slow, direct interpreter of the AST that property tests hold the
//! compiled evaluator to. `RULES.md` is the rule author's reference.
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

/// Declares modules that are public only with the `testing` feature: the parser's AST, its
/// placeholders and the reference interpreter, for the property test that holds the compiled
/// evaluator to the reference. The Lambda and the CLI are built without them.
macro_rules! testing_pub {
    ($($name:ident),*) => {$(
        #[cfg(feature = "testing")]
        #[doc(hidden)]
        #[allow(missing_docs)]
        pub mod $name;
        #[cfg(not(feature = "testing"))]
        mod $name;
    )*};
}

testing_pub!(ast, modifiers, parse);
#[cfg(feature = "testing")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod reference;

mod builder;
mod cases;
mod compile;
mod condition;
pub mod correlation;
mod detection;
mod doc;
mod eval;
mod explain;
mod filter;
mod index;
mod limits;
pub mod lint;
mod load;
mod logsource;
mod paths;
mod pattern;
mod strip;
pub mod suppress;
mod yaml;

pub use ast::{Expect, TestCase};
pub use builder::RuleSetBuilder;
pub use correlation::{
    Condition, Correlation, CorrelationCase, CorrelationType, ExpectedAlert, Input, Op,
};
pub use doc::{Doc, Leaf, Node};
pub use explain::{CaseOutcome, Explanation, FieldTrace, FilterCaseOutcome, SelectionTrace};
pub use limits::RuleLimits;
pub use paths::{FieldPaths, PathNode};

/// How urgent a rule's alerts are, as Sigma spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    /// The level as Sigma spells it.
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
    /// The rule's `id`.
    pub id: String,
    /// The rule's `title`.
    pub title: String,
    /// The rule's `level`.
    pub level: Level,
    /// The rule's `tags`.
    pub tags: Vec<String>,
    /// The rule's `description`.
    pub description: Option<String>,
    /// The rule's `falsepositives`.
    pub falsepositives: Vec<String>,
    /// The file path (or bundled name) the rule came from.
    pub source: String,
    /// Aliases of the topics its alerts go to (`notify:`); empty means the default topic.
    pub notify: Vec<String>,
    /// The `summary:` template alerts fill with event values.
    pub summary: Option<String>,
    /// Labels of the filters ANDed into this rule (`filter "title"`), in load order.
    pub filters: Vec<String>,
    /// `suppress:`: repeats of one combination of field values within a window are counted.
    pub suppress: Option<suppress::Suppress>,
    /// Sigma 2's `name`, which correlations and filters may refer to instead of the id.
    pub name: Option<String>,
    /// Whether its matches alert on their own: `false` when only correlations with
    /// `generate: false` refer to it.
    pub alerts: bool,
    /// The (correlation, input position) pairs its matches feed.
    feeds: Vec<(usize, usize)>,
    detection: Arc<compile::CompiledDetection>,
    tests: Arc<Vec<TestCase>>,
}

impl Rule {
    fn new(
        ast: ast::RuleAst,
        detection: Arc<compile::CompiledDetection>,
        filters: Vec<String>,
    ) -> Rule {
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
            filters,
            suppress: ast.suppress,
            name: ast.name,
            alerts: true,
            feeds: Vec::new(),
            detection,
            tests: Arc::new(ast.tests),
        }
    }

    /// The correlations its matches feed: (index into [`RuleSet::correlations`], position in
    /// that correlation's `rules`).
    pub fn feeds(&self) -> &[(usize, usize)] {
        &self.feeds
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

/// One problem in a rule file, at its position.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct RuleError {
    /// The file (or bundled name).
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
    /// What is wrong.
    pub message: String,
}

/// A filter as loaded: its `tests:` cases and the rules it applies to.
#[derive(Debug, Clone)]
pub struct LoadedFilter {
    /// The filter's `title` (or id) as messages name it.
    pub label: String,
    /// The file it came from.
    pub source: String,
    /// Indices into [`RuleSet::rules`].
    pub targets: Vec<usize>,
    /// Its own `tests:` cases.
    pub tests: Vec<TestCase>,
}

/// A compiled, indexed set of rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    index: index::RuleIndex,
    paths: paths::FieldPaths,
    filters: Vec<LoadedFilter>,
    skipped: Vec<RuleError>,
    warnings: Vec<RuleError>,
    correlations: correlation::resolve::Resolved,
    limits: RuleLimits,
}

impl RuleSet {
    /// One way to build a set: which rules, which limits, whether `tests:` are kept.
    pub fn builder() -> RuleSetBuilder {
        RuleSetBuilder::default()
    }

    /// Loads rule files and directories, keeping `tests:`; every file is checked and all errors
    /// returned. Default limits.
    pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<RuleSet, RuleErrors> {
        RuleSet::builder().paths(paths).build()
    }

    /// Loads in-memory `(name, yaml)` sources, keeping `tests:`; one named `placeholders.yml`
    /// supplies placeholders. Default limits.
    pub fn from_sources(sources: &[(String, String)]) -> Result<RuleSet, RuleErrors> {
        RuleSet::builder().sources(sources).build()
    }

    /// The limits this set was loaded with; a reload of the same source is held to them.
    pub fn limits(&self) -> RuleLimits {
        self.limits
    }

    /// The filters loaded with the rules.
    pub fn filters(&self) -> &[LoadedFilter] {
        &self.filters
    }

    /// Runs a loaded filter's own `tests:` cases.
    pub fn run_filter_tests(&self, filter: &LoadedFilter) -> Vec<FilterCaseOutcome> {
        let targets: Vec<&Rule> = filter
            .targets
            .iter()
            .filter_map(|&i| self.rules.get(i))
            .collect();
        filter
            .tests
            .iter()
            .map(|c| explain::run_filter_case(&targets, c))
            .collect()
    }

    /// Rules in the set.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every rule, in load order.
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

    /// Whether some rule is checked against every record: the index's pre-check on the head
    /// fields then never turns a record away, and the match stage skips it.
    pub fn admits_all(&self) -> bool {
        self.index.admits_all()
    }

    /// The field paths the rules read, for the match stage's projection of each record.
    pub fn field_paths(&self) -> &FieldPaths {
        &self.paths
    }

    /// Appends the rules matching `record`, in load order.
    pub fn matches<'a, D: Doc + ?Sized>(&'a self, record: &D, out: &mut Vec<&'a Rule>) {
        let mut cand = Vec::new();
        self.index.candidates(record, self.rules.len(), &mut cand);
        out.extend(
            cand.into_iter()
                .filter_map(|i| self.rules.get(i))
                .filter(|r| r.detection.matches(record)),
        );
    }

    /// The correlation rules, in load order.
    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations.list
    }

    /// The correlations a correlation's alerts feed: (index, position in its `rules`).
    pub fn correlation_feeds(&self, correlation: usize) -> &[(usize, usize)] {
        self.correlations
            .corr_feeds
            .get(correlation)
            .map_or(&[], Vec::as_slice)
    }

    /// Correlation indices, each after the correlations it refers to.
    pub fn correlation_order(&self) -> &[usize] {
        &self.correlations.order
    }

    /// Rules left out, each at its `file:line:col` with the reason: a logsource that is not
    /// CloudTrail, deprecated/unsupported status, correlation and aggregation rules.
    pub fn skipped(&self) -> &[RuleError] {
        &self.skipped
    }

    /// [`RuleSet::skipped`] as text.
    pub fn notes(&self) -> Vec<String> {
        self.skipped.iter().map(ToString::to_string).collect()
    }

    /// What loaded but deserves a look: filters naming no loaded rule, ids that are not UUIDs.
    pub fn warnings(&self) -> &[RuleError] {
        &self.warnings
    }
}
