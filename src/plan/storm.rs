//! A storm accumulated: the matches of one rule in one object past the first alerts, counted
//! into a [`Digest`] in memory that does not grow with the matches.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::alert::{Capped, Count, Counted, Digest, RuleRef, LIST_MAX};
use crate::fetch::ObjectRef;
use crate::matching::Glimpse;
use crate::render::sanitize;

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
    fn add(&mut self, value: Option<Cow<'_, str>>) {
        let Some(value) = value else { return };
        if let Some(n) = self.counts.get_mut(&*value) {
            *n += 1;
        } else if self.counts.len() < DISTINCT_MAX {
            self.counts.insert(value.into_owned(), 1);
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

    /// Counts one more match, from the fields a [`Glimpse`] holds.
    pub fn add(&mut self, event: &Glimpse<'_>) {
        fn text<'v>(v: &'v Option<Cow<'_, str>>) -> Option<Cow<'v, str>> {
            let s = sanitize::clean_cow(v.as_deref()?, sanitize::FIELD_MAX);
            (!s.is_empty()).then_some(s)
        }
        self.count += 1;
        if let Some(t) = text(&event.event_time) {
            if self.first.as_deref().is_none_or(|f| *t < *f) {
                self.first = Some(t.to_string());
            }
            if self.last.as_deref().is_none_or(|l| *t > *l) {
                self.last = Some(t.into_owned());
            }
        }
        // The actor, as `enrichment.actor.name` names it: one role, whatever its sessions.
        let actor = event.actor_name().map(Cow::Owned);
        self.principals.add(
            text(&actor)
                .or_else(|| text(&event.arn))
                .or_else(|| text(&event.user_name)),
        );
        self.source_ips.add(text(&event.source_ip));
        self.regions.add(text(&event.region));
        self.accounts
            .add(text(&event.recipient_account).or_else(|| text(&event.identity_account)));
        self.event_names.add(text(&event.event_name));
        if self.event_ids.len() < LIST_MAX {
            if let Some(id) = text(&event.event_id) {
                self.event_ids.push(id.into_owned());
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
            account_names: Vec::new(),
            event_names: few(&self.event_names),
        })
    }
}
