//! Storm control's summary: when one rule matches many records in one object (a script
//! rebooting every instance, a misconfigured job), people get the first alerts and then one
//! digest of the rest instead of hundreds of messages.

mod forms;

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::{lookup, sanitize, RuleRef};
use crate::fetch::ObjectRef;

/// How many eventIDs a digest lists, and distinct principals, IPs or regions it names, before
/// saying how many more.
pub const LIST_MAX: usize = 50;
/// Distinct values counted per kind while an object is read; later new values are only counted
/// as "others", so a digest's memory does not grow with the number of matches.
pub const DISTINCT_MAX: usize = 1000;

/// A list capped at [`LIST_MAX`], with the count of what was left out.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Capped {
    /// The first values, in the order they were seen.
    pub items: Vec<String>,
    /// How many more there were.
    pub omitted: usize,
}

impl Capped {
    fn line(&self) -> String {
        let mut s = self.items.join(", ");
        if self.omitted > 0 {
            let _ = write!(s, " (and {} more)", self.omitted);
        }
        s
    }
}

/// One value and how many matches carried it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Count {
    /// The cleaned value.
    pub value: String,
    /// Matches that carried it.
    pub count: u64,
}

/// The most frequent distinct values (most first, then by value), with how many distinct values
/// were left out of the list.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counted {
    /// Up to [`LIST_MAX`] values.
    pub items: Vec<Count>,
    /// Distinct values not listed (including those past [`DISTINCT_MAX`], counted once each
    /// only while they fit; see `others`).
    pub omitted: usize,
    /// Matches whose value was not tracked because [`DISTINCT_MAX`] was reached.
    #[serde(skip_serializing_if = "is_zero")]
    pub others: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counted {
    /// The values alone, for subjects and attributes.
    pub fn values(&self) -> Vec<String> {
        self.items.iter().map(|c| c.value.clone()).collect()
    }

    fn line(&self, n: usize) -> String {
        let mut s = self
            .items
            .iter()
            .take(n)
            .map(|c| format!("{} ({})", c.value, c.count))
            .collect::<Vec<_>>()
            .join(", ");
        let more = self.omitted + self.items.len().saturating_sub(n);
        if more > 0 {
            let _ = write!(s, " (and {more} more)");
        }
        s
    }
}

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

/// The matches of one rule in one object that were not sent one by one.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// The rule that matched.
    pub rule: RuleRef,
    /// The object the matches were read from.
    pub source: ObjectRef,
    /// Matches of this rule in the object, alerts sent included.
    pub matches: usize,
    /// Sent individually before this digest.
    pub alerted: usize,
    /// Summarised here.
    pub count: usize,
    /// The earliest `eventTime` among the summarised matches.
    pub first_event_time: Option<String>,
    /// The latest `eventTime` among them.
    pub last_event_time: Option<String>,
    /// Who made the calls: ARN, else user name.
    pub principals: Counted,
    /// Where the calls came from.
    pub source_ips: Counted,
    /// Regions the calls were made in.
    pub regions: Counted,
    /// A sample of the summarised eventIDs, in the order read.
    pub event_ids: Capped,
    /// Accounts (up to 10).
    pub account_ids: Vec<String>,
    /// Event names (up to 10).
    pub event_names: Vec<String>,
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
            let s = match lookup(event, path)? {
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
