//! A compiled rule with the metadata its alerts carry, and a loaded filter.
use std::sync::Arc;

use crate::ast::{RuleAst, TestCase};
use crate::compile::CompiledDetection;
use crate::level::Level;
use crate::suppress::Suppress;

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
    pub suppress: Option<Suppress>,
    /// Sigma 2's `name`, which correlations and filters may refer to instead of the id.
    pub name: Option<String>,
    /// Whether its matches alert on their own: `false` when only correlations with
    /// `generate: false` refer to it.
    pub alerts: bool,
    /// The (correlation, input position) pairs its matches feed.
    pub(crate) feeds: Vec<(usize, usize)>,
    pub(crate) detection: Arc<CompiledDetection>,
    pub(crate) tests: Arc<Vec<TestCase>>,
}

impl Rule {
    pub(crate) fn new(
        ast: RuleAst,
        detection: Arc<CompiledDetection>,
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

    /// The correlations its matches feed: (index into [`RuleSet::correlations`](crate::RuleSet::correlations), position in
    /// that correlation's `rules`).
    pub fn feeds(&self) -> &[(usize, usize)] {
        &self.feeds
    }

    /// Whether this rule matches the record (no index pre-check).
    pub fn is_match(&self, record: &serde_json::Value) -> bool {
        self.detection.matches(record)
    }

    /// The `tests:` cases written in the rule file.
    pub fn tests(&self) -> &[TestCase] {
        &self.tests
    }
}

/// A filter as loaded: its `tests:` cases and the rules it applies to.
#[derive(Debug, Clone)]
pub struct LoadedFilter {
    /// The filter's `title` (or id) as messages name it.
    pub label: String,
    /// The file it came from.
    pub source: String,
    /// Indices into [`RuleSet::rules`](crate::RuleSet::rules).
    pub targets: Vec<usize>,
    /// Its own `tests:` cases.
    pub tests: Vec<TestCase>,
}
