//! Why a rule did or did not match an event: every selection and field with the record's
//! values and its result. Also runs the `tests:` cases written inside rule files.
use std::fmt;

use serde_json::Value;

use super::ast::{Expect, TestCase};
use super::compile::CompiledDetection;
use super::doc::any_leaf;
use super::eval::eval_cond;
use super::Rule;

/// The evaluation tree of one rule over one event.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The condition as written, one expression per entry.
    pub condition: Vec<String>,
    /// Whether the rule matched.
    pub matched: bool,
    /// Every selection and its result.
    pub selections: Vec<SelectionTrace>,
    /// Names of the selections that decided the outcome: those whose result, flipped
    /// alone, would flip the condition (or, when none would, those agreeing with it).
    pub deciding: Vec<String>,
}

/// One selection's result over the event.
#[derive(Debug, Clone)]
pub struct SelectionTrace {
    /// The selection's name.
    pub name: String,
    /// Whether it held.
    pub result: bool,
    /// OR over groups of AND-ed fields, as written.
    pub groups: Vec<Vec<FieldTrace>>,
}

/// One field test of a selection.
#[derive(Debug, Clone)]
pub struct FieldTrace {
    /// The key as written (`field|modifiers`); empty for keyword searches.
    pub key: String,
    /// The record's values at the field's path, as JSON text.
    pub record_values: Vec<String>,
    /// Whether the test held.
    pub result: bool,
}

const MAX_SHOWN: usize = 5;

fn record_values(record: &Value, path: &[String]) -> Vec<String> {
    if path.is_empty() {
        return vec!["(every string in the record)".to_owned()];
    }
    let mut out = Vec::new();
    any_leaf(record, path, &mut |l| {
        let mut t = l.to_string();
        if t.len() > 120 {
            let cut = (0..=117)
                .rev()
                .find(|&i| t.is_char_boundary(i))
                .unwrap_or(0);
            t.truncate(cut);
            t.push_str("...");
        }
        out.push(t);
        out.len() >= MAX_SHOWN
    });
    out
}

pub fn explain(det: &CompiledDetection, rule: &Rule, record: &Value) -> Explanation {
    let selections: Vec<SelectionTrace> = det
        .selections
        .iter()
        .map(|s| {
            let groups: Vec<Vec<FieldTrace>> = s
                .groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|f| FieldTrace {
                            key: f.key.clone(),
                            record_values: record_values(record, &f.path),
                            result: f.matches(record),
                        })
                        .collect()
                })
                .collect();
            SelectionTrace {
                name: s.name.clone(),
                result: groups.iter().any(|g| g.iter().all(|f| f.result)),
                groups,
            }
        })
        .collect();
    let matched = eval_cond(&det.condition, &mut |i| {
        selections.get(i).is_some_and(|s| s.result)
    });
    let result_with_flip = |flip: usize| {
        eval_cond(&det.condition, &mut |i| {
            selections.get(i).is_some_and(|s| s.result) != (i == flip)
        })
    };
    let mut deciding: Vec<String> = (0..selections.len())
        .filter(|&i| result_with_flip(i) != matched)
        .map(|i| selections[i].name.clone())
        .collect();
    if deciding.is_empty() {
        deciding = selections
            .iter()
            .filter(|s| s.result == matched)
            .map(|s| s.name.clone())
            .collect();
    }
    Explanation {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        condition: det.condition_text.clone(),
        matched,
        selections,
        deciding,
    }
}

fn tf(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "rule {} ({})", self.rule_id, self.title)?;
        writeln!(
            f,
            "condition: {} => {}",
            self.condition.join(" | "),
            tf(self.matched)
        )?;
        for s in &self.selections {
            let mark = if self.deciding.contains(&s.name) {
                "  <- decided"
            } else {
                ""
            };
            writeln!(f, "  {}: {}{mark}", s.name, tf(s.result))?;
            for (gi, g) in s.groups.iter().enumerate() {
                if s.groups.len() > 1 {
                    writeln!(f, "    alternative {}:", gi + 1)?;
                }
                let pad = if s.groups.len() > 1 { "      " } else { "    " };
                for fld in g {
                    let key = if fld.key.is_empty() {
                        "(keywords)"
                    } else {
                        &fld.key
                    };
                    let vals = if fld.record_values.is_empty() {
                        "(missing)".to_owned()
                    } else {
                        fld.record_values.join(", ")
                    };
                    writeln!(f, "{pad}{key} = {vals}: {}", tf(fld.result))?;
                }
            }
        }
        Ok(())
    }
}

/// The outcome of one `tests:` case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The case's name.
    pub name: String,
    /// What it expects.
    pub expect: Expect,
    /// Whether the rule did what the case expects.
    pub passed: bool,
    /// The evaluation trace, for showing which selection decided.
    pub explanation: Explanation,
}

pub fn run_case(det: &CompiledDetection, rule: &Rule, case: &TestCase) -> CaseOutcome {
    let explanation = explain(det, rule, &case.event);
    let passed = explanation.matched == (case.expect == Expect::Match);
    CaseOutcome {
        name: case.name.clone(),
        expect: case.expect,
        passed,
        explanation,
    }
}

/// The outcome of one `tests:` case of a filter: the record is run through every rule the
/// filter applies to (with all their filters). `match` passes when one of them fires,
/// `no-match` when none does.
#[derive(Debug, Clone)]
pub struct FilterCaseOutcome {
    /// The case's name.
    pub name: String,
    /// What it expects.
    pub expect: Expect,
    /// Whether the target rules did what the case expects.
    pub passed: bool,
    /// Ids of the target rules that fired.
    pub fired: Vec<String>,
    /// One evaluation tree per target rule.
    pub explanations: Vec<Explanation>,
}

pub fn run_filter_case(targets: &[&Rule], case: &TestCase) -> FilterCaseOutcome {
    let explanations: Vec<Explanation> = targets.iter().map(|r| r.explain(&case.event)).collect();
    let fired: Vec<String> = explanations
        .iter()
        .filter(|e| e.matched)
        .map(|e| e.rule_id.clone())
        .collect();
    FilterCaseOutcome {
        name: case.name.clone(),
        expect: case.expect,
        passed: fired.is_empty() == (case.expect == Expect::NoMatch),
        fired,
        explanations,
    }
}

impl Rule {
    /// The evaluation tree of this rule over `record`.
    pub fn explain(&self, record: &serde_json::Value) -> Explanation {
        explain(&self.detection, self, record)
    }

    /// Runs the rule's `tests:` cases.
    pub fn run_tests(&self) -> Vec<CaseOutcome> {
        self.tests
            .iter()
            .map(|c| run_case(&self.detection, self, c))
            .collect()
    }
}
