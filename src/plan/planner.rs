//! The planner: one object's matches, de-duplicated, storm-controlled, rendered, routed and
//! batched as they arrive.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::batch::{Batch, Batcher};
use super::hold::{Held, Holds};
use super::message::Message;
use super::settings::PlanSettings;
use super::storm::DigestBuilder;
use super::suppress::SuppressKey;
use crate::alert::{Alert, RuleRef};
use crate::fetch::ObjectRef;
use crate::matching::Glimpse;
use crate::rules::{Level, Rule};

/// Distinct (eventID, rule) hashes remembered per object: 16 bytes each, about 4 MB at most.
pub const DEDUP_MAX: usize = 250_000;

/// Per rule, what one object's plan did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RuleTally {
    /// The rule's title.
    pub title: String,
    /// The rule's level.
    pub level: Option<Level>,
    /// Matches, repeats excluded.
    pub matches: u64,
    /// Matches sent as alerts of their own: planned, in [`PlanStats`]; delivered, in a run's
    /// summary.
    pub alerted: u64,
    /// Matches summarised in a digest.
    pub digested: u64,
}

/// What one object's plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanStats {
    /// Matches, repeats included.
    pub matches: u64,
    /// Repeats of an (eventID, rule) already seen in the object, dropped.
    pub duplicates: u64,
    /// Whether [`DEDUP_MAX`] was reached, after which repeats are no longer recognised.
    pub dedup_saturated: bool,
    /// Alert messages rendered (one per alert, whatever the number of topics).
    pub alerts: u64,
    /// Digest messages rendered.
    pub digests: u64,
    /// Matches left out by `min_level`.
    pub below_min_level: u64,
    /// Combinations of `suppress:` rules held for the state table's decision.
    pub held: u64,
    /// Per rule id.
    pub rules: BTreeMap<String, RuleTally>,
}

/// One rule's storm state within the object.
#[derive(Debug)]
struct PerRule {
    rule: RuleRef,
    alerted: usize,
    digest: Option<DigestBuilder>,
}

/// Plans one object's matches.
#[derive(Debug)]
pub struct Planner<'s> {
    settings: &'s PlanSettings,
    /// Names digests give their accounts by (`ENRICH_ACCOUNTS`).
    enricher: Option<&'s crate::enrich::Enricher>,
    source: ObjectRef,
    seen: HashSet<u64>,
    rules: BTreeMap<String, PerRule>,
    batches: Batcher,
    holds: Holds,
    stats: PlanStats,
}

/// A match as the plan sees it: the parsed record, or only its [`Glimpse`].
#[derive(Clone, Copy)]
enum Seen<'e> {
    Record(&'e Value),
    Glimpse(&'e Glimpse<'e>),
}

/// What the plan does with one match.
enum Admit {
    /// A repeat, below `min_level`, a repeat of a held combination, or into a digest.
    Counted,
    /// Sent on its own.
    Send,
    /// The first of its `suppress:` combination in the object: held for the state's decision.
    Hold(SuppressKey),
}

/// What planning one object leaves for the stages after it.
#[derive(Debug)]
pub struct Finished {
    /// What the plan did.
    pub stats: PlanStats,
    /// `suppress:` combinations awaiting the state table's decision ([`release`](super::release)).
    pub held: Vec<Held>,
}

impl<'s> Planner<'s> {
    /// A planner for the matches of `source`.
    pub fn new(settings: &'s PlanSettings, source: ObjectRef) -> Self {
        Planner {
            settings,
            enricher: None,
            source,
            seen: HashSet::new(),
            rules: BTreeMap::new(),
            batches: Batcher::default(),
            holds: Holds::default(),
            stats: PlanStats::default(),
        }
    }

    /// Digests name their accounts as `enricher`'s accounts file does.
    pub fn enriched_by(mut self, enricher: &'s crate::enrich::Enricher) -> Self {
        self.enricher = Some(enricher);
        self
    }

    /// Takes `rule`'s match on `event`; batches that became full are appended to `out`.
    pub fn add(&mut self, rule: &Rule, event: &Arc<Value>, out: &mut Vec<Batch>) {
        let suppress = rule
            .suppress
            .as_ref()
            .filter(|_| !self.settings.every_match);
        let key = suppress.map(|s| SuppressKey {
            rule_id: rule.id.clone(),
            values: s.values(event),
        });
        let seen = Seen::Record(event);
        match self.admit(&rule.id, rule.level, || RuleRef::new(rule), seen, key) {
            Admit::Counted => {}
            Admit::Send => {
                let alert = Alert::new(rule, Arc::clone(event), self.source.clone());
                self.send(alert, out);
            }
            Admit::Hold(key) => {
                let alert = Alert::new(rule, Arc::clone(event), self.source.clone());
                let window = suppress.map(|s| s.window).unwrap_or_default();
                self.stats.held += 1;
                self.holds.hold(alert, key, window);
            }
        }
    }

    /// Whether `rule`'s next match needs its record built: it may be sent or held. When it
    /// can only be counted (a repeat, below `min_level`, or into the storm digest), its
    /// [`Glimpse`] is enough ([`Planner::count`]).
    pub fn wants_record(&self, rule: &Rule) -> bool {
        if !rule.alerts {
            return false;
        }
        if self.settings.every_match || rule.suppress.is_some() {
            return true;
        }
        if self.settings.min_level.is_some_and(|min| rule.level < min) {
            return false;
        }
        let max = self.settings.max_alerts_per_rule.max(1);
        self.rules.get(&rule.id).is_none_or(|per| per.alerted < max)
    }

    /// Takes a match of `rule` for which [`Planner::wants_record`] said no.
    pub fn count(&mut self, rule: &Rule, glimpse: &Glimpse<'_>) {
        let seen = Seen::Glimpse(glimpse);
        // Admits nothing but a count: `wants_record` ruled out a send or a hold.
        let _ = self.admit(&rule.id, rule.level, || RuleRef::new(rule), seen, None);
    }

    /// [`Planner::add`] for an alert built elsewhere (tests, replays).
    pub fn add_alert(&mut self, alert: Alert, out: &mut Vec<Batch>) {
        let rule = alert.rule.clone();
        let seen = Seen::Record(&alert.event);
        if let Admit::Send = self.admit(&rule.id, rule.level, || rule.clone(), seen, None) {
            self.send(alert, out);
        }
    }

    /// Counts one match and says what becomes of it. `suppress` is its combination, for a
    /// rule with `suppress:`.
    fn admit(
        &mut self,
        id: &str,
        level: Level,
        rule: impl FnOnce() -> RuleRef,
        event: Seen<'_>,
        suppress: Option<SuppressKey>,
    ) -> Admit {
        self.stats.matches += 1;
        if self.settings.min_level.is_some_and(|min| level < min) {
            self.stats.below_min_level += 1;
            return Admit::Counted;
        }
        if !self.first_time(id, event) {
            self.stats.duplicates += 1;
            return Admit::Counted;
        }
        let per = self.rules.entry(id.to_string()).or_insert_with(|| PerRule {
            rule: rule(),
            alerted: 0,
            digest: None,
        });
        let tally = self
            .stats
            .rules
            .entry(id.to_string())
            .or_insert_with(|| RuleTally {
                title: per.rule.title.clone(),
                level: Some(level),
                ..RuleTally::default()
            });
        tally.matches += 1;
        let max = self.settings.max_alerts_per_rule.max(1);
        match suppress {
            // Past `max` combinations in one object, the rest go into the digest.
            Some(key) if self.holds.repeat(&key) => return Admit::Counted,
            Some(key) if self.holds.count(id) < max => return Admit::Hold(key),
            Some(_) => {}
            None if self.settings.every_match || per.alerted < max => {
                per.alerted += 1;
                tally.alerted += 1;
                self.stats.alerts += 1;
                return Admit::Send;
            }
            None => {}
        }
        tally.digested += 1;
        let (alerted, source) = (per.alerted, &self.source);
        let digest = per
            .digest
            .get_or_insert_with(|| DigestBuilder::new(per.rule.clone(), source.clone(), alerted));
        match event {
            Seen::Record(record) => digest.add(&Glimpse::of(record)),
            Seen::Glimpse(glimpse) => digest.add(glimpse),
        }
        Admit::Counted
    }

    /// Renders `alert` once and files it for each of its rule's topics.
    fn send(&mut self, alert: Alert, out: &mut Vec<Batch>) {
        let message = Message::alert(&alert, self.settings.form);
        let topics = self
            .settings
            .routes
            .topics(&alert.rule.id, &alert.rule.notify);
        self.batches.push(&topics, message, out);
    }

    /// Ends the object: its digests, then every batch not yet full. Returns what it did, and
    /// the held `suppress:` combinations.
    pub fn finish(mut self, out: &mut Vec<Batch>) -> Finished {
        for per in self.rules.values() {
            let Some(mut digest) = per.digest.as_ref().and_then(DigestBuilder::finish) else {
                continue;
            };
            if let Some(enricher) = self.enricher {
                digest.name_accounts(|id| enricher.account_name(id));
            }
            self.stats.digests += 1;
            let topics = self.settings.routes.topics(&per.rule.id, &per.rule.notify);
            let message = Message::digest(&digest, self.settings.form);
            self.batches.push(&topics, message, out);
        }
        self.batches.flush(out);
        Finished {
            stats: self.stats,
            held: self.holds.into_held(),
        }
    }

    /// Remembers (eventID, rule); `false` for a repeat. Past [`DEDUP_MAX`] everything is new.
    fn first_time(&mut self, rule_id: &str, event: Seen<'_>) -> bool {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        rule_id.hash(&mut h);
        let id = match event {
            Seen::Record(record) => record.get("eventID").and_then(Value::as_str),
            Seen::Glimpse(glimpse) => glimpse.event_id.as_deref(),
        };
        match (id, event) {
            (Some(id), _) if !id.is_empty() => id.hash(&mut h),
            (_, Seen::Record(record)) => record.to_string().hash(&mut h),
            // `Matcher::check_for` glimpses only records with an eventID.
            (_, Seen::Glimpse(glimpse)) => format!("{glimpse:?}").hash(&mut h),
        }
        let h = h.finish();
        if self.seen.contains(&h) {
            return false;
        }
        if self.seen.len() < DEDUP_MAX {
            self.seen.insert(h);
        } else {
            self.stats.dedup_saturated = true;
        }
        true
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
