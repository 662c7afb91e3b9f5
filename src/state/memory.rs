//! The state seam in one process's memory: the CLI (suppression within one run) and unit tests.
//! It keeps [`DynamoStore`](super::DynamoStore)'s protocol, including leases and TTL expiry
//! judged by the `now` each call passes in.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::memory_correlation::Windows;
use super::{epoch_ms, origin_tag, StateError};
use crate::correlate::{CorrelationStore, FireRequest, Fired, Slice};
use crate::deliver::{AlertKey, Claim, ClaimStore};
use crate::plan::{Sighting, Suppression};
use crate::verdict::SuppressionStore;

/// The state of one process, gone when it exits.
#[derive(Debug)]
pub struct MemoryStore {
    retention: Duration,
    inner: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    alerts: HashMap<AlertKey, Entry>,
    /// Keyed by (rule id, combination digest).
    windows: HashMap<(String, String), Window>,
    correlations: Windows,
}

#[derive(Debug)]
struct Entry {
    owner: String,
    /// `None` once delivered.
    lease_until: Option<SystemTime>,
    expires_at: SystemTime,
}

#[derive(Debug)]
struct Window {
    owner: String,
    floor_ms: u64,
    ends_ms: u64,
    suppressed: u64,
    suppressed_before: u64,
    counted: HashSet<String>,
    expires_at: SystemTime,
}

impl Default for MemoryStore {
    /// Kept for [`DEFAULT_RETENTION`](super::DEFAULT_RETENTION), as the table keeps items.
    fn default() -> Self {
        MemoryStore::new(super::DEFAULT_RETENTION)
    }
}

impl MemoryStore {
    /// `retention`: how long delivered identities and suppression counts are kept.
    pub fn new(retention: Duration) -> MemoryStore {
        MemoryStore {
            retention,
            inner: Mutex::default(),
        }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic elsewhere cannot leave the maps half-written: every change is one insert.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many items are stored, expired or not (for tests).
    pub fn len(&self) -> usize {
        let t = self.tables();
        t.alerts.len() + t.windows.len()
    }

    /// Correlation groups and slices held (evicted by event time), for tests of the bound.
    pub fn correlation_len(&self) -> (usize, usize) {
        self.tables().correlations.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl ClaimStore for MemoryStore {
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError> {
        let mut t = self.tables();
        let until = now + lease;
        Ok(keys
            .iter()
            .map(|key| {
                let outcome = match t.alerts.get(key) {
                    Some(e) if e.expires_at <= now => Claim::Won,
                    None => Claim::Won,
                    Some(e) => match e.lease_until {
                        None => Claim::AlreadyDelivered,
                        Some(l) if l <= now || e.owner == owner => Claim::Won,
                        Some(l) => Claim::HeldByOther { until: l },
                    },
                };
                if outcome == Claim::Won {
                    let entry = Entry {
                        owner: owner.to_owned(),
                        lease_until: Some(until),
                        expires_at: until,
                    };
                    t.alerts.insert(key.clone(), entry);
                }
                outcome
            })
            .collect())
    }

    async fn delivered(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
    ) -> Result<(), StateError> {
        let mut t = self.tables();
        for key in keys {
            let entry = Entry {
                owner: owner.to_owned(),
                lease_until: None,
                expires_at: now + self.retention,
            };
            t.alerts.insert(key.clone(), entry);
        }
        Ok(())
    }

    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError> {
        let mut t = self.tables();
        for key in keys {
            if t.alerts
                .get(key)
                .is_some_and(|e| e.owner == owner && e.lease_until.is_some())
            {
                t.alerts.remove(key);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SuppressionStore for MemoryStore {
    async fn suppress(
        &self,
        sightings: &[Sighting],
        now: SystemTime,
    ) -> Result<Vec<Suppression>, StateError> {
        let mut t = self.tables();
        Ok(sightings
            .iter()
            .map(|s| {
                let slot = (s.key.rule_id.clone(), s.key.digest());
                let tag = origin_tag(&s.origin);
                let at = super::epoch_ms(s.at);
                let open = t
                    .windows
                    .get_mut(&slot)
                    .filter(|w| w.expires_at > now && w.floor_ms <= at && at < w.ends_ms);
                match open {
                    Some(w) if w.owner == tag => Suppression::Deliver {
                        suppressed: w.suppressed_before,
                    },
                    Some(w) => {
                        if w.counted.insert(tag) {
                            w.suppressed += s.repeats;
                        }
                        Suppression::Suppressed
                    }
                    None => {
                        // As in DynamoDB, a count outlives its window until the item is gone.
                        let before = t.windows.get(&slot).map_or(0, |w| w.suppressed);
                        let (floor_ms, ends_ms) = s.window_bounds();
                        let window = Window {
                            owner: tag.clone(),
                            floor_ms,
                            ends_ms,
                            suppressed: s.repeats.saturating_sub(1),
                            suppressed_before: before,
                            counted: HashSet::from([tag]),
                            expires_at: super::from_epoch_ms(ends_ms).max(now) + self.retention,
                        };
                        t.windows.insert(slot, window);
                        Suppression::Deliver { suppressed: before }
                    }
                }
            })
            .collect())
    }
}

#[async_trait]
impl CorrelationStore for MemoryStore {
    async fn gather(
        &self,
        slices: &[Slice],
        now: SystemTime,
    ) -> Result<Vec<Vec<Slice>>, StateError> {
        let now_ms = i64::try_from(epoch_ms(now)).unwrap_or(i64::MAX);
        Ok(self.tables().correlations.gather(slices, now_ms))
    }

    async fn fire(
        &self,
        requests: &[FireRequest],
        now: SystemTime,
    ) -> Result<Vec<Vec<Fired>>, StateError> {
        let now_ms = i64::try_from(epoch_ms(now)).unwrap_or(i64::MAX);
        Ok(self.tables().correlations.fire(requests, now_ms))
    }
}
