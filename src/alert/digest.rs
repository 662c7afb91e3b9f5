//! Storm control's summary: when one rule matches many records in one object (a script
//! rebooting every instance, a misconfigured job), people get the first alerts and then one
//! digest of the rest instead of hundreds of messages. The plan builds it
//! ([`DigestBuilder`](crate::plan::DigestBuilder)); `render` writes it out.

use serde::Serialize;
use serde_json::json;

use super::rule::RuleRef;
use crate::fetch::ObjectRef;
use crate::render::sanitize;

/// How many eventIDs a digest lists, and distinct principals, IPs or regions it names, before
/// saying how many more.
pub const LIST_MAX: usize = 50;
/// A list capped at [`LIST_MAX`], with the count of what was left out.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Capped {
    /// The first values, in the order they were seen.
    pub items: Vec<String>,
    /// How many more there were.
    pub omitted: usize,
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
    /// Distinct values not listed (including those past
    /// [`DISTINCT_MAX`](crate::plan::DISTINCT_MAX), counted once each only while they fit; see
    /// `others`).
    pub omitted: usize,
    /// Matches whose value was not tracked because
    /// [`DISTINCT_MAX`](crate::plan::DISTINCT_MAX) was reached.
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
    /// The same accounts as people read them, `prod-web (123456789012)`, where the accounts
    /// file names them (`ENRICH_ACCOUNTS`); empty when it names none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub account_names: Vec<String>,
    /// Event names (up to 10).
    pub event_names: Vec<String>,
}

impl Digest {
    /// Fills [`Digest::account_names`] from `name`, which knows some accounts by id.
    pub fn name_accounts<'n>(&mut self, name: impl Fn(&str) -> Option<&'n str>) {
        if self.account_ids.iter().any(|id| name(id).is_some()) {
            self.account_names = self
                .account_ids
                .iter()
                .map(|id| match name(id) {
                    Some(n) => format!("{n} ({id})"),
                    None => id.clone(),
                })
                .collect();
        }
    }

    /// The accounts as people read them: by name where known.
    pub fn accounts_text(&self) -> &[String] {
        if self.account_names.is_empty() {
            &self.account_ids
        } else {
            &self.account_names
        }
    }

    /// The same digest listing at most `n` of each kind, for when the full one is too big.
    pub fn shrunk(&self, n: usize) -> Digest {
        let cut = |c: &Capped| Capped {
            items: c
                .items
                .iter()
                .take(n)
                .map(|i| sanitize::truncate(i, 128))
                .collect(),
            omitted: c.omitted + c.items.len().saturating_sub(n),
        };
        let cut_counted = |c: &Counted| Counted {
            items: c
                .items
                .iter()
                .take(n)
                .map(|i| Count {
                    value: sanitize::truncate(&i.value, 128),
                    count: i.count,
                })
                .collect(),
            omitted: c.omitted + c.items.len().saturating_sub(n),
            others: c.others,
        };
        Digest {
            principals: cut_counted(&self.principals),
            source_ips: cut_counted(&self.source_ips),
            regions: cut_counted(&self.regions),
            event_ids: cut(&self.event_ids),
            ..self.clone()
        }
    }

    /// `{"digest": {...}}`: machine subscribers tell it from an alert by its top-level key.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&json!({ "digest": self })).unwrap_or_default()
    }

    /// (rule, object): one digest per rule per object, so a re-run's digest dedupes on FIFO
    /// topics and claims the same identity in the state table.
    pub fn identity(&self) -> String {
        format!("digest\u{0}{}\u{0}{}", self.rule.id, self.source)
    }
}
