//! A correlation once parsed and resolved: plain data the `correlate` stage evaluates.
use std::time::Duration;

use serde::Serialize;

use super::cases::CorrelationCase;
use crate::level::Level;

/// The correlation types trailwatch evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationType {
    /// Records in the window.
    EventCount,
    /// Distinct values of `field` in the window.
    ValueCount,
    /// Distinct referenced rules seen in the window, in any order.
    Temporal,
    /// Referenced rules seen in the window in the order they are listed.
    TemporalOrdered,
    /// The sum of `field`'s numeric values in the window.
    ValueSum,
    /// The average of `field`'s numeric values in the window.
    ValueAvg,
}

impl CorrelationType {
    /// The type as Sigma spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
            CorrelationType::ValueSum => "value_sum",
            CorrelationType::ValueAvg => "value_avg",
        }
    }

    /// Whether the type reads `field`.
    pub fn needs_field(self) -> bool {
        matches!(
            self,
            CorrelationType::ValueCount | CorrelationType::ValueSum | CorrelationType::ValueAvg
        )
    }

    /// Whether the measure is a number of things (so an alert shows an integer).
    pub fn is_count(self) -> bool {
        !matches!(self, CorrelationType::ValueSum | CorrelationType::ValueAvg)
    }
}

/// One criterion of a `condition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// `gt`.
    Gt,
    /// `gte`.
    Gte,
    /// `lt`.
    Lt,
    /// `lte`.
    Lte,
    /// `eq`.
    Eq,
    /// `neq`.
    Neq,
}

/// A `condition`: every criterion must hold (two make a range).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition(pub Vec<(Op, f64)>);

impl Condition {
    /// Whether `value` satisfies every criterion.
    pub fn holds(&self, value: f64) -> bool {
        self.0.iter().all(|&(op, n)| match op {
            Op::Gt => value > n,
            Op::Gte => value >= n,
            Op::Lt => value < n,
            Op::Lte => value <= n,
            Op::Eq => value == n,
            Op::Neq => value != n,
        })
    }

    /// Whether some criterion bounds the measure from below, so that the condition needs
    /// records to accumulate (the order-independence guarantee covers only these).
    pub fn has_lower_bound(&self) -> bool {
        self.0
            .iter()
            .any(|&(op, n)| matches!(op, Op::Gt | Op::Gte) || (op == Op::Eq && n > 0.0))
    }

    /// Whether no measure can satisfy every criterion (`gt: 10` with `lt: 5`): a mistake.
    pub fn never_holds(&self) -> bool {
        let (mut lo, mut lo_strict) = (f64::NEG_INFINITY, false);
        let (mut hi, mut hi_strict) = (f64::INFINITY, false);
        for &(op, n) in &self.0 {
            let (low, high) = match op {
                Op::Gt => (Some((n, true)), None),
                Op::Gte => (Some((n, false)), None),
                Op::Lt => (None, Some((n, true))),
                Op::Lte => (None, Some((n, false))),
                Op::Eq => (Some((n, false)), Some((n, false))),
                Op::Neq => (None, None),
            };
            if let Some((n, strict)) = low {
                if n > lo || (n == lo && strict) {
                    (lo, lo_strict) = (n, strict);
                }
            }
            if let Some((n, strict)) = high {
                if n < hi || (n == hi && strict) {
                    (hi, hi_strict) = (n, strict);
                }
            }
        }
        lo > hi || (lo == hi && (lo_strict || hi_strict))
    }

    /// The condition as written, for alerts: `gte 10`, `gt 100 and lte 200`.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .map(|(op, n)| format!("{} {n}", format!("{op:?}").to_lowercase()))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

/// What a correlation refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A detection rule, by index into [`crate::RuleSet::rules`].
    Rule(usize),
    /// A correlation, by index into [`crate::RuleSet::correlations`].
    Correlation(usize),
}

/// One resolved correlation rule.
#[derive(Debug, Clone)]
pub struct Correlation {
    /// The `id` (or, without one, the `name`): alerts' `rule_id`.
    pub id: String,
    /// The `name` other correlations may refer to it by.
    pub name: Option<String>,
    /// The `title`.
    pub title: String,
    /// The `level`; without one, the highest level of the rules it refers to.
    pub level: Level,
    /// The `tags`.
    pub tags: Vec<String>,
    /// The `description`.
    pub description: Option<String>,
    /// The `falsepositives`.
    pub falsepositives: Vec<String>,
    /// Topic aliases (`notify:`), as for rules.
    pub notify: Vec<String>,
    /// The file it came from.
    pub source: String,
    /// The `type`.
    pub kind: CorrelationType,
    /// The `rules`, in the order listed (the order `temporal_ordered` requires).
    pub inputs: Vec<Input>,
    /// The referenced rules' titles, in the same order, for alerts.
    pub input_titles: Vec<String>,
    /// The `group-by` names as written (aliases included).
    pub group_by: Vec<String>,
    /// Per input, the record path of each `group-by` name (aliases resolved).
    pub group_paths: Vec<Vec<String>>,
    /// `condition.field`: one path, or several for `value_count` (distinct tuples).
    pub field: Vec<String>,
    /// The `timespan`.
    pub timespan: Duration,
    /// The `condition`.
    pub condition: Condition,
    /// `generate`: whether the rules it refers to also alert on their own.
    pub generate: bool,
    /// Whether its own alerts are sent: `false` when only correlations with `generate: false`
    /// refer to it (its alerts then feed them alone).
    pub alerts: bool,
    pub(crate) tests: Vec<CorrelationCase>,
}

impl Correlation {
    /// The `tests:` cases written in the correlation's document.
    pub fn tests(&self) -> &[CorrelationCase] {
        &self.tests
    }

    /// The timespan in milliseconds, the unit windows are computed in.
    pub fn timespan_ms(&self) -> i64 {
        i64::try_from(self.timespan.as_millis()).unwrap_or(i64::MAX)
    }
}
