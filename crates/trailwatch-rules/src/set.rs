//! A compiled, indexed set of rules and correlations: what the match stage asks.
use crate::correlation::resolve::Resolved;
use crate::correlation::Correlation;
use crate::doc::Doc;
use crate::error::RuleError;
use crate::explain::{run_filter_case, FilterCaseOutcome};
use crate::index::{Identity, RuleIndex};
use crate::limits::RuleLimits;
use crate::paths::FieldPaths;
use crate::rule::{LoadedFilter, Rule};

/// A compiled, indexed set of rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub(crate) rules: Vec<Rule>,
    pub(crate) index: RuleIndex,
    pub(crate) paths: FieldPaths,
    pub(crate) filters: Vec<LoadedFilter>,
    pub(crate) skipped: Vec<RuleError>,
    pub(crate) warnings: Vec<RuleError>,
    pub(crate) correlations: Resolved,
    pub(crate) limits: RuleLimits,
}

impl RuleSet {
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
            .map(|c| run_filter_case(&targets, c))
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
            .may_match(event_source, event_name, Identity::Unknown)
    }

    /// [`RuleSet::may_match`] knowing `userIdentity.type` too (`None`: absent or null), which
    /// lets root-usage rules, filed under it, skip every other record unparsed.
    pub fn may_match_identity(
        &self,
        event_source: Option<&str>,
        event_name: Option<&str>,
        identity_type: Option<&str>,
    ) -> bool {
        self.index
            .may_match(event_source, event_name, Identity::Known(identity_type))
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

    /// Applies `f` to every record of every `tests:` case (rules, filters and correlations):
    /// the caller adds what its stages derive before the rules run (trailwatch's
    /// `enrichment`), so a case is judged on the record the rules would see.
    pub fn prepare_test_events(&mut self, f: impl Fn(&mut serde_json::Value)) {
        let rules = self
            .rules
            .iter_mut()
            .flat_map(|r| std::sync::Arc::make_mut(&mut r.tests).iter_mut());
        let filters = self.filters.iter_mut().flat_map(|r| r.tests.iter_mut());
        for case in rules.chain(filters) {
            f(&mut case.event);
        }
        for corr in &mut self.correlations.list {
            for case in &mut corr.tests {
                case.records.iter_mut().for_each(&f);
            }
        }
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
