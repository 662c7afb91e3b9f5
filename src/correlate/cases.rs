//! `tests:` cases of correlation documents: the case's records go through the whole rule set,
//! then through the correlate stage alone (one object, nothing recorded before), and the correlation's alerts are
//! compared with the ones the case expects.
use std::time::Duration;

use super::{parse_ms, settle, Correlator};
use crate::alert::CorrelationAlert;
use crate::fetch::ObjectRef;
use crate::rules::{CorrelationCase, ExpectedAlert, RuleSet};
use crate::state::from_epoch_ms;

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CorrelationCaseOutcome {
    /// The case's name.
    pub name: String,
    /// Whether the alerts were the ones expected.
    pub passed: bool,
    /// What the correlation raised: group values and measure, one line each.
    pub got: Vec<String>,
    /// What went wrong, when it did not pass.
    pub problem: Option<String>,
}

/// Runs `case` of correlation `index` of `rules`.
pub fn run_case(rules: &RuleSet, index: usize, case: &CorrelationCase) -> CorrelationCaseOutcome {
    let Some(corr) = rules.correlations().get(index) else {
        return outcome(case, Vec::new(), Some("no such correlation".into()));
    };
    let mut correlator = Correlator::new(rules);
    let mut hits = Vec::new();
    let mut newest = 0;
    for record in &case.records {
        hits.clear();
        rules.matches(record, &mut hits);
        for rule in &hits {
            correlator.add(rule, record);
        }
        let at = record
            .get("eventTime")
            .and_then(serde_json::Value::as_str)
            .and_then(parse_ms);
        newest = newest.max(at.unwrap_or(0));
    }
    let now = from_epoch_ms(u64::try_from(newest).unwrap_or(0));
    // Every record of a case counts: lateness as long as the case.
    let lateness = Duration::from_secs(366 * 24 * 3600);
    let source = ObjectRef::Path {
        path: "tests".into(),
    };
    let settled = futures::executor::block_on(settle(
        None,
        rules,
        correlator.finish("tests"),
        lateness,
        now,
        &source,
    ));
    let alerts: Vec<CorrelationAlert> = match settled {
        Ok(s) => s
            .alerts
            .into_iter()
            .filter(|a| a.correlation.id == corr.id)
            .collect(),
        Err(e) => return outcome(case, Vec::new(), Some(e.error.to_string())),
    };
    let got: Vec<String> = alerts.iter().map(describe).collect();
    let problem = compare(&case.expect, &alerts);
    outcome(case, got, problem)
}

fn outcome(
    case: &CorrelationCase,
    got: Vec<String>,
    problem: Option<String>,
) -> CorrelationCaseOutcome {
    CorrelationCaseOutcome {
        name: case.name.clone(),
        passed: problem.is_none(),
        got,
        problem,
    }
}

fn describe(a: &CorrelationAlert) -> String {
    let group: Vec<String> = a
        .group
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(missing)")))
        .collect();
    let values = if a.values.is_empty() {
        String::new()
    } else {
        format!(" values=[{}]", a.values.join(", "))
    };
    format!(
        "{{{}}} count={} at {}{values}",
        group.join(", "),
        a.measure,
        a.last_event_time
    )
}

fn matches(e: &ExpectedAlert, a: &CorrelationAlert) -> bool {
    let group = e.group.iter().all(|(k, v)| {
        a.group
            .iter()
            .any(|(ak, av)| ak == k && av.as_deref() == v.as_deref())
    });
    let count = e.count.is_none_or(|c| (c - a.measure).abs() < 1e-6);
    let values = e.values.as_ref().is_none_or(|v| {
        let mut want = v.clone();
        want.sort();
        let mut have = a.values.clone();
        have.sort();
        want == have
    });
    group && count && values
}

/// Each expected alert must match a distinct alert, and no alert may be left over.
fn compare(expect: &[ExpectedAlert], alerts: &[CorrelationAlert]) -> Option<String> {
    let mut used = vec![false; alerts.len()];
    for e in expect {
        let hit = (0..alerts.len()).find(|&i| !used[i] && matches(e, &alerts[i]));
        match hit {
            Some(i) => used[i] = true,
            None => {
                let group: Vec<String> = e
                    .group
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(missing)")))
                    .collect();
                let count = e.count.map(|c| format!(" count={c}")).unwrap_or_default();
                return Some(format!(
                    "expected an alert {{{}}}{count}, none matched",
                    group.join(", ")
                ));
            }
        }
    }
    let extra = used.iter().filter(|u| !**u).count();
    (extra > 0).then(|| format!("{extra} alert(s) more than expected"))
}
