//! A storm accumulated: the matches of one rule in one object past the first alerts, counted
//! into a [`Digest`] in memory that does not grow with the matches.

use std::collections::HashMap;

use serde_json::Value;

use crate::alert::{Capped, Count, Counted, Digest, RuleRef, LIST_MAX};
use crate::fetch::ObjectRef;
use crate::render::sanitize;
use crate::rules::field;

/// Distinct values counted per kind while an object is read; later new values are only counted
/// as "others", so a digest's memory does not grow with the number of matches.
pub const DISTINCT_MAX: usize = 1000;

/// Bounded counts of distinct values.
#[derive(Debug, Default)]
struct Tally {
    counts: HashMap<String, u64>,
    others: u64,
}

impl Tally {
    fn add(&mut self, value: Option<String>) {
        let Some(value) = value else { return };
        if let Some(n) = self.counts.get_mut(&value) {
            *n += 1;
        } else if self.counts.len() < DISTINCT_MAX {
            self.counts.insert(value, 1);
        } else {
            self.others += 1;
        }
    }

    fn top(&self, n: usize) -> Counted {
        let mut all: Vec<Count> = self
            .counts
            .iter()
            .map(|(value, count)| Count {
                value: value.clone(),
                count: *count,
            })
            .collect();
        all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let omitted = all.len().saturating_sub(n);
        all.truncate(n);
        Counted {
            items: all,
            omitted,
            others: self.others,
        }
    }
}

/// Builds a [`Digest`] one match at a time in memory that does not grow with the matches.
#[derive(Debug)]
pub struct DigestBuilder {
    rule: RuleRef,
    source: ObjectRef,
    alerted: usize,
    count: usize,
    first: Option<String>,
    last: Option<String>,
    principals: Tally,
    source_ips: Tally,
    regions: Tally,
    event_ids: Vec<String>,
    accounts: Tally,
    event_names: Tally,
}

impl DigestBuilder {
    /// A digest of `rule`'s matches in `source` after the first `alerted`, which were sent.
    pub fn new(rule: RuleRef, source: ObjectRef, alerted: usize) -> Self {
        DigestBuilder {
            rule,
            source,
            alerted,
            count: 0,
            first: None,
            last: None,
            principals: Tally::default(),
            source_ips: Tally::default(),
            regions: Tally::default(),
            event_ids: Vec::new(),
            accounts: Tally::default(),
            event_names: Tally::default(),
        }
    }

    /// Counts one more match.
    pub fn add(&mut self, event: &Value) {
        let text = |path: &str| {
            let s = match field::get(event, path)? {
                Value::String(s) => s.as_str(),
                _ => return None,
            };
            let s = sanitize::clean(s, sanitize::FIELD_MAX);
            (!s.is_empty()).then_some(s)
        };
        self.count += 1;
        if let Some(t) = text("eventTime") {
            if self.first.as_ref().is_none_or(|f| t < *f) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|l| t > *l) {
                self.last = Some(t);
            }
        }
        self.principals
            .add(text("userIdentity.arn").or_else(|| text("userIdentity.userName")));
        self.source_ips.add(text("sourceIPAddress"));
        self.regions.add(text("awsRegion"));
        self.accounts
            .add(text("recipientAccountId").or_else(|| text("userIdentity.accountId")));
        self.event_names.add(text("eventName"));
        if self.event_ids.len() < LIST_MAX {
            if let Some(id) = text("eventID") {
                self.event_ids.push(id);
            }
        }
    }

    /// The digest of what was added; `None` when nothing was.
    pub fn finish(&self) -> Option<Digest> {
        if self.count == 0 {
            return None;
        }
        let few = |t: &Tally| t.top(10).values();
        Some(Digest {
            rule: self.rule.clone(),
            source: self.source.clone(),
            matches: self.alerted + self.count,
            alerted: self.alerted,
            count: self.count,
            first_event_time: self.first.clone(),
            last_event_time: self.last.clone(),
            principals: self.principals.top(LIST_MAX),
            source_ips: self.source_ips.top(LIST_MAX),
            regions: self.regions.top(LIST_MAX),
            event_ids: Capped {
                items: self.event_ids.clone(),
                omitted: self.count - self.event_ids.len(),
            },
            account_ids: few(&self.accounts),
            event_names: few(&self.event_names),
        })
    }
}
