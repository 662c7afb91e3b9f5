//! The fence around a claimed batch: its claims are kept alive while it is sent and marked, so
//! a lease cannot run out under a sender that is still alive, and another invocation cannot
//! take the alerts over and send them a second time.
//!
//! Renewing is claiming again: the same conditional write, which succeeds only while no other
//! owner holds a running lease and nothing was marked delivered. A renewal that finds a claim
//! gone, or that cannot reach the table before the lease is nearly out, stops the send: what
//! was not confirmed is failed as retryable, and the retry finds it delivered or claims it.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::claims::{AlertKey, Claim, ClaimStore};
use crate::state::StateError;

/// Why a send was stopped.
#[derive(Debug)]
pub(super) enum Lost {
    /// Another owner holds the claim now, or it was delivered or given back.
    Taken(AlertKey),
    /// The table did not answer before the lease was nearly out.
    Unreachable(StateError),
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lost::Taken(key) => write!(
                f,
                "claim on alert {} ({}) lost before it was delivered",
                key.subject, key.rule_id
            ),
            Lost::Unreachable(e) => write!(f, "claims could not be renewed: {e}"),
        }
    }
}

/// The claims one batch holds, and until when on this process's monotonic clock.
pub(super) struct Lease<'a> {
    state: &'a dyn ClaimStore,
    owner: String,
    keys: Vec<AlertKey>,
    lease: Duration,
    /// Counted from before the write that set the lease, so it never ends later here than in
    /// the table.
    until: Instant,
}

impl<'a> Lease<'a> {
    /// Claims on `keys`, written by a call that started at `claimed_at`.
    pub fn new(
        state: &'a dyn ClaimStore,
        owner: String,
        keys: Vec<AlertKey>,
        lease: Duration,
        claimed_at: Instant,
    ) -> Self {
        Lease {
            state,
            owner,
            keys,
            lease,
            until: claimed_at + lease,
        }
    }

    /// The keys held.
    pub fn keys(&self) -> &[AlertKey] {
        &self.keys
    }

    /// Whether less than two thirds of the lease is left: time to renew, and too little to start
    /// a publish on (it may take as long as the SDK's retries).
    pub fn due(&self) -> bool {
        self.until.saturating_duration_since(Instant::now()) <= self.lease * 2 / 3
    }

    /// Claims the keys again; on success every key's lease starts over. Returns each key's
    /// outcome, in order.
    pub async fn renew(&mut self) -> Result<Vec<Claim>, StateError> {
        let started = Instant::now();
        let claims = self
            .state
            .claim(&self.keys, &self.owner, SystemTime::now(), self.lease)
            .await?;
        if claims.iter().all(|c| *c == Claim::Won) {
            self.until = started + self.lease;
        }
        Ok(claims)
    }

    /// Keeps the claims alive, renewing each time a third of the lease has passed; returns only
    /// when one is lost, or the table could not be reached before a sixth of the lease was left
    /// (a send still in flight then must stop before another owner may take over).
    pub async fn hold(&mut self) -> Lost {
        let mut retrying = false;
        loop {
            let next = if retrying {
                // Sooner after a failure, while there is time.
                Instant::now() + self.lease / 12
            } else {
                self.until - self.lease * 2 / 3
            };
            tokio::time::sleep_until(next).await;
            match self.renew().await {
                Ok(claims) => {
                    retrying = false;
                    let lost = self
                        .keys
                        .iter()
                        .zip(&claims)
                        .find(|(_, c)| **c != Claim::Won);
                    if let Some((key, _)) = lost {
                        return Lost::Taken(key.clone());
                    }
                }
                Err(e) => {
                    if self.until.saturating_duration_since(Instant::now()) <= self.lease / 6 {
                        return Lost::Unreachable(e);
                    }
                    tracing::warn!(error = %e, "state table: claims not renewed, retrying");
                    retrying = true;
                }
            }
        }
    }
}

/// How long a batch already claimed may finish (its publish and delivered mark) once its object
/// is stopped at a deadline: half of the handler's `DEADLINE_MARGIN`, so the invocation still
/// reports before Lambda's own limit.
pub const PUBLISH_GRACE: Duration = Duration::from_secs(5);

/// One object attempt's batches between claim and delivered mark, and whether it is stopping:
/// a deadline lets the batch in flight finish instead of dropping it after SNS may have taken
/// it (the retry would send it again), and lets no other batch start.
#[derive(Debug, Default)]
pub struct Flight {
    stopping: std::sync::atomic::AtomicBool,
    in_flight: std::sync::atomic::AtomicUsize,
    landed: tokio::sync::Notify,
}

impl Flight {
    /// Counts a batch in flight until the guard is dropped; `None` once stopping.
    pub(super) fn enter(&self) -> Option<InFlight<'_>> {
        use std::sync::atomic::Ordering::SeqCst;
        self.in_flight.fetch_add(1, SeqCst);
        let guard = InFlight(self);
        (!self.stopping.load(SeqCst)).then_some(guard)
    }

    /// Whether the deadline came: no publish starts any more.
    pub(super) fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lets no more batches start, and waits for those in flight.
    pub async fn stop(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.stopping.store(true, SeqCst);
        loop {
            let landed = self.landed.notified();
            if self.in_flight.load(SeqCst) == 0 {
                return;
            }
            landed.await;
        }
    }
}

/// A batch in flight; see [`Flight::enter`].
pub struct InFlight<'a>(&'a Flight);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.0.landed.notify_waiters();
    }
}
