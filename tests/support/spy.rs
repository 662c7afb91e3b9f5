//! A state store that counts what the pipeline asks of it: the memory store underneath, with
//! the claims, suppression calls and gathered correlation groups recorded, and correlation
//! calls that can be made to fail.
#![allow(dead_code)] // Each test binary reads the counters it needs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use trailwatch::correlate::{CorrelationStore, FireRequest, Fired, Slice};
use trailwatch::deliver::{AlertKey, Claim, ClaimStore};
use trailwatch::plan::{Sighting, Suppression};
use trailwatch::state::{MemoryStore, StateError};
use trailwatch::verdict::SuppressionStore;

/// The memory store, watched.
#[derive(Default)]
pub struct Spy {
    pub store: MemoryStore,
    /// Claim calls.
    pub claims: AtomicUsize,
    /// Suppression calls.
    pub suppress_calls: AtomicUsize,
    /// Per gather call, the correlation id of each slice.
    pub gathers: Mutex<Vec<Vec<String>>>,
    /// Whether correlation calls fail, as a refused request would.
    pub broken: AtomicBool,
    /// Whether correlation and suppression calls fail as an unreachable table's do.
    pub unreachable: AtomicBool,
}

#[async_trait]
impl ClaimStore for Spy {
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError> {
        self.claims.fetch_add(1, Ordering::SeqCst);
        self.store.claim(keys, owner, now, lease).await
    }

    async fn delivered(&self, k: &[AlertKey], o: &str, t: SystemTime) -> Result<(), StateError> {
        self.store.delivered(k, o, t).await
    }

    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError> {
        self.store.release(keys, owner).await
    }
}

#[async_trait]
impl SuppressionStore for Spy {
    async fn suppress(
        &self,
        s: &[Sighting],
        t: SystemTime,
    ) -> Result<Vec<Suppression>, StateError> {
        self.suppress_calls.fetch_add(1, Ordering::SeqCst);
        if self.unreachable.load(Ordering::SeqCst) {
            return Err(StateError::unavailable("connection refused"));
        }
        self.store.suppress(s, t).await
    }
}

#[async_trait]
impl CorrelationStore for Spy {
    async fn gather(&self, s: &[Slice], t: SystemTime) -> Result<Vec<Vec<Slice>>, StateError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StateError::other("refused"));
        }
        if self.unreachable.load(Ordering::SeqCst) {
            return Err(StateError::unavailable("connection refused"));
        }
        let groups = s.iter().map(|x| x.group.correlation.clone()).collect();
        self.gathers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(groups);
        self.store.gather(s, t).await
    }

    async fn fire(&self, r: &[FireRequest], t: SystemTime) -> Result<Vec<Vec<Fired>>, StateError> {
        self.store.fire(r, t).await
    }
}
