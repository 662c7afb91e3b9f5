//! Suppression's part of the plan: for a rule with `suppress:`, each combination of its `by`
//! values is held once per object, with how often it repeats there, until the state table says
//! whether it is the first in its window. Held alerts are rendered only then, with how many
//! repeats were suppressed since the last one sent.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::batch::{Batch, Batcher};
use super::message::Message;
use super::settings::PlanSettings;
use super::suppress::{Sighting, SuppressKey, Suppression};
use crate::alert::{Alert, CorrelationAlert};

/// One combination of one rule, held for the state's decision.
#[derive(Debug, Clone)]
pub struct Held {
    /// The first match of the combination in the object, not rendered yet.
    pub alert: Alert,
    /// The combination.
    pub key: SuppressKey,
    /// The first match's `eventTime`; `None` when it has none (the decision uses now).
    pub at: Option<SystemTime>,
    /// The rule's `suppress: for`.
    pub window: Duration,
    /// Matches of the combination in the object, the first included.
    pub repeats: u64,
}

impl Held {
    /// The question for the state table, from the object `origin`; `now` stands in for a
    /// missing `eventTime`.
    pub fn sighting(&self, origin: &str, now: SystemTime) -> Sighting {
        Sighting {
            key: self.key.clone(),
            origin: origin.to_string(),
            at: self.at.unwrap_or(now),
            window: self.window,
            repeats: self.repeats,
        }
    }
}

/// The combinations held in one object, in the order first seen.
#[derive(Debug, Default)]
pub(super) struct Holds {
    held: Vec<Held>,
    index: HashMap<SuppressKey, usize>,
    per_rule: HashMap<String, usize>,
}

impl Holds {
    /// Counts a repeat of a combination already held; `false` when it is new.
    pub(super) fn repeat(&mut self, key: &SuppressKey) -> bool {
        match self.index.get(key) {
            Some(&i) => {
                self.held[i].repeats += 1;
                true
            }
            None => false,
        }
    }

    /// How many combinations `rule_id` holds.
    pub(super) fn count(&self, rule_id: &str) -> usize {
        self.per_rule.get(rule_id).copied().unwrap_or(0)
    }

    /// Holds a new combination.
    pub(super) fn hold(&mut self, alert: Alert, key: SuppressKey, window: Duration) {
        *self.per_rule.entry(key.rule_id.clone()).or_default() += 1;
        self.index.insert(key.clone(), self.held.len());
        let at = event_time(&alert.event);
        self.held.push(Held {
            alert,
            key,
            at,
            window,
            repeats: 1,
        });
    }

    pub(super) fn into_held(self) -> Vec<Held> {
        self.held
    }
}

fn event_time(event: &Value) -> Option<SystemTime> {
    let text = event.get("eventTime")?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    let ms = u64::try_from(t.timestamp_millis()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
}

/// Renders, routes and batches correlation alerts (those that only feed other correlations,
/// and those below `min_level`, are left out); returns how many were planned.
pub fn correlations(
    alerts: &[CorrelationAlert],
    settings: &PlanSettings,
    out: &mut Vec<Batch>,
) -> u64 {
    let mut batches = Batcher::default();
    let mut planned = 0;
    for a in alerts {
        let c = &a.correlation;
        if a.feeds_only || settings.min_level.is_some_and(|min| c.level < min) {
            continue;
        }
        planned += 1;
        let topics = settings.routes.topics(&c.id, &c.notify);
        batches.push(&topics, Message::correlation(a, settings.form), out);
    }
    batches.flush(out);
    planned
}

/// Renders, routes and batches the held alerts the state said to send (`decisions`, in the
/// order of `held`), each saying how many were suppressed since the last; returns how many
/// matches were suppressed in this object.
pub fn release(
    held: Vec<Held>,
    decisions: &[Suppression],
    settings: &PlanSettings,
    out: &mut Vec<Batch>,
) -> u64 {
    let mut batches = Batcher::default();
    let mut suppressed = 0;
    for (h, decision) in held.into_iter().zip(decisions) {
        match decision {
            Suppression::Suppressed => suppressed += h.repeats,
            Suppression::Deliver { suppressed: before } => {
                suppressed += h.repeats - 1;
                let mut alert = h.alert;
                alert.suppressed = Some(*before);
                let topics = settings.routes.topics(&alert.rule.id, &alert.rule.notify);
                batches.push(&topics, Message::alert(&alert, settings.form), out);
            }
        }
    }
    batches.flush(out);
    suppressed
}
