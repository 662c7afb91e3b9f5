//! Storm control: at most `max` alerts per rule per object, then one digest of the rest.
//!
//! It lives on the SNS path only (the CLI prints every match) and relies on the pipeline
//! handing the publisher all of one object's alerts in one call.

use std::collections::HashMap;

use crate::render::{Alert, Digest};

/// What to send for one object's alerts.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub alerts: Vec<&'a Alert>,
    pub digests: Vec<Digest>,
    /// Repeats of an (eventID, rule) already in the object, dropped.
    pub duplicates: usize,
}

/// Dedupes repeated events, keeps the first `max` alerts of each rule and digests the rest.
pub fn plan(alerts: &[Alert], max: usize) -> Plan<'_> {
    let mut seen = std::collections::HashSet::new();
    let mut per_rule: HashMap<&str, usize> = HashMap::new();
    let mut overflow: Vec<(&str, Vec<&Alert>)> = Vec::new();
    let mut out = Plan::default();
    for alert in alerts {
        if !seen.insert(alert.identity()) {
            out.duplicates += 1;
            continue;
        }
        let n = per_rule.entry(alert.rule.id.as_str()).or_default();
        *n += 1;
        if *n <= max {
            out.alerts.push(alert);
        } else {
            match overflow.iter_mut().find(|(id, _)| *id == alert.rule.id) {
                Some((_, rest)) => rest.push(alert),
                None => overflow.push((alert.rule.id.as_str(), vec![alert])),
            }
        }
    }
    out.digests = overflow
        .iter()
        .filter_map(|(_, rest)| Digest::of(max, rest))
        .collect();
    out
}
