//! The exactly-once protocol for one object attempt: each planned batch claims its alerts,
//! sends the ones it won, and marks them delivered, so every alert goes out once however often
//! its record arrives (see [`crate::state`] for the protocol and its one crash window); the
//! claims are kept alive while their batch is sent ([`super::fence`]).

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

use chrono::{DateTime, Utc};

use super::claims::{AlertKey, Claim, ClaimStore};
use super::fence::{Flight, InFlight, Lease};
use super::seam::{Deliver, DeliverError};
use crate::plan::{Batch, Kind, Message};
use crate::state::{Fallback, Health, StateError, StateSettings};

/// One object attempt's delivery: its seams, and what happened so far.
pub struct Delivery<'a> {
    deliver: &'a dyn Deliver,
    claims: &'a dyn ClaimStore,
    settings: StateSettings,
    /// The object attempt's batches in flight, which a deadline lets finish.
    flight: &'a Flight,
    /// This attempt at this object, unique: the claims' owner.
    owner: String,
    /// The object, for digest identities.
    object: String,
    /// What the batches that failed could not deliver, one error per batch.
    undelivered: Vec<DeliverError>,
    /// The object's state calls, claims and verdicts alike.
    pub health: Health,
    /// Alert (single-record and correlation) and digest messages delivered.
    pub sent: (u64, u64),
    /// Single-record alerts delivered, per rule id.
    pub sent_by_rule: BTreeMap<String, u64>,
    /// Correlation alerts delivered, per correlation id.
    pub sent_by_correlation: BTreeMap<String, u64>,
    /// Alerts skipped because they were delivered before (another file, path or attempt).
    pub already_alerted: u64,
    /// The longest wait from a delivered alert's `eventTime` to its delivery, in seconds.
    pub max_lag_seconds: Option<i64>,
    /// When the last batch was delivered.
    pub last: Option<Instant>,
}

impl<'a> Delivery<'a> {
    /// The delivery of `object` by the attempt `owner` (unique to the attempt), whose batches
    /// in flight `flight` counts.
    pub fn new(
        deliver: &'a dyn Deliver,
        claims: &'a dyn ClaimStore,
        settings: StateSettings,
        flight: &'a Flight,
        owner: String,
        object: String,
    ) -> Self {
        Delivery {
            deliver,
            claims,
            settings,
            flight,
            owner,
            health: Health::new(settings.unavailable, object.clone()),
            object,
            undelivered: Vec::new(),
            sent: (0, 0),
            sent_by_rule: BTreeMap::new(),
            sent_by_correlation: BTreeMap::new(),
            already_alerted: 0,
            max_lag_seconds: None,
            last: None,
        }
    }

    /// What was not delivered: every failed batch's error summed into one, keeping each
    /// distinct message.
    pub fn undelivered(&self) -> Option<DeliverError> {
        DeliverError::merged(&self.undelivered)
    }

    /// How many batches failed so far, and whether the object is already not clean: a
    /// change between two readings is a failure in between.
    pub fn failures(&self) -> (usize, bool) {
        (self.undelivered.len(), self.health.not_clean.is_some())
    }

    /// Why the object is not delivered in full, or not clean, if it is not.
    pub fn failure_text(&self) -> Option<String> {
        self.undelivered()
            .map(|e| e.to_string())
            .or_else(|| self.health.not_clean.clone())
    }

    /// What claims batches ahead of their turn, while this delivery sends the one before.
    pub fn claimer(&self) -> Claimer<'a> {
        Claimer {
            claims: self.claims,
            flight: self.flight,
            owner: self.owner.clone(),
            object: self.object.clone(),
            settings: self.settings,
        }
    }

    /// Claims, sends and marks one batch.
    pub async fn send(&mut self, batch: Batch) {
        let claimed = self.claimer().claim(batch).await;
        self.finish(claimed).await;
    }

    /// Sends and marks a batch claimed by [`Claimer::claim`]; batches are finished in the
    /// order they were planned.
    pub async fn finish(&mut self, claimed: Claimed<'a>) {
        let Claimed {
            batch,
            flying,
            claims,
        } = claimed;
        // Counted from before its claim until after its mark.
        let Some(_flying) = flying else {
            let total = batch.messages.len();
            self.failed(DeliverError {
                failed: total,
                total,
                message: "not sent: the object was stopped at its deadline".into(),
            });
            return;
        };
        let Some((keys, claims, claimed_at)) = claims else {
            match self.deliver.send(&batch).await {
                Ok(()) => self.note_delivered(&batch),
                Err(e) => self.failed(e),
            }
            return;
        };
        let (batch, won) = match claims {
            Ok(claims) => self.keep_won(batch, keys, &claims),
            Err(e) => {
                let fallback = self.health.fail(
                    &e,
                    "claims skipped, alerts sent anyway",
                    "nothing sent for the object",
                );
                match fallback {
                    Fallback::Degrade => (batch, Vec::new()),
                    Fallback::HoldBack => {
                        self.none_sent(&batch, &e);
                        return;
                    }
                }
            }
        };
        if self.flight.is_stopping() {
            // Claimed ahead, then the deadline came: no new publish starts.
            let _ = self.claims.release(&won, &self.owner).await;
            let total = batch.messages.len();
            self.failed(DeliverError {
                failed: total,
                total,
                message: "not sent: the object was stopped at its deadline".into(),
            });
            return;
        }
        if batch.messages.is_empty() {
            return;
        }
        if won.is_empty() {
            match self.deliver.send(&batch).await {
                Ok(()) => self.note_delivered(&batch),
                Err(e) => self.failed(e),
            }
            return;
        }
        let lease = Lease::new(
            self.claims,
            self.owner.clone(),
            won,
            self.settings.lease,
            claimed_at,
        );
        self.send_fenced(batch, lease).await;
    }

    /// Sends a batch whose every message holds a claim, keeping the claims alive until the
    /// batch is marked delivered (see `fence`).
    async fn send_fenced(&mut self, mut batch: Batch, mut lease: Lease<'_>) {
        let (state, deliver, owner) = (self.claims, self.deliver, self.owner.clone());
        // The fence: no publish starts on a lease with little left; claiming again keeps only
        // what is still ours.
        if lease.due() {
            let renewing = tokio::time::Instant::now();
            match lease.renew().await {
                Ok(claims) if claims.iter().all(|c| *c == Claim::Won) => {}
                Ok(claims) => {
                    let keys = lease.keys().to_vec();
                    let (kept, won) = self.keep_won(batch, keys, &claims);
                    if kept.messages.is_empty() {
                        return;
                    }
                    batch = kept;
                    lease = Lease::new(state, owner.clone(), won, self.settings.lease, renewing);
                }
                Err(e) => {
                    let _ = state.release(lease.keys(), &owner).await;
                    self.health.note(&e, "claims not renewed, nothing sent");
                    self.none_sent(&batch, &e);
                    return;
                }
            }
        }
        let sent = {
            let sending = deliver.send(&batch);
            tokio::pin!(sending);
            tokio::select! {
                sent = &mut sending => Ok(sent),
                lost = lease.hold() => Err(lost),
            }
        };
        match sent {
            Ok(Ok(())) => {
                self.note_delivered(&batch);
                let keys = lease.keys().to_vec();
                let marking = state.delivered(&keys, &owner, SystemTime::now());
                tokio::pin!(marking);
                // Held until marked: a takeover between the publish and the mark would resend.
                let marked = tokio::select! {
                    biased;
                    marked = &mut marking => marked,
                    lost = lease.hold() => {
                        tracing::error!(object = %self.object, error = %lost,
                            "alerts sent; marking them delivered outlived their claims");
                        marking.await
                    }
                };
                if let Err(e) = marked {
                    // Sent, not marked: only a later redelivery could repeat them.
                    self.health.note(&e, "alerts sent but not marked delivered");
                }
            }
            Ok(Err(e)) => {
                // Hand the claims back so the retry need not wait out the lease.
                let _ = state.release(lease.keys(), &owner).await;
                self.failed(e);
            }
            Err(lost) => {
                // Stopped before another owner may take over: what this send got out is not
                // known, so nothing is marked and the object is retried.
                tracing::error!(object = %self.object, error = %lost, "publish stopped");
                let _ = state.release(lease.keys(), &owner).await;
                let total = batch.messages.len();
                self.failed(DeliverError {
                    failed: total,
                    total,
                    message: format!("publish stopped: {lost}"),
                });
            }
        }
    }

    /// The batch cut down to the messages this attempt won, with their keys.
    fn keep_won(
        &mut self,
        mut batch: Batch,
        keys: Vec<AlertKey>,
        claims: &[Claim],
    ) -> (Batch, Vec<AlertKey>) {
        let mut won = Vec::new();
        let mut kept = Vec::new();
        for ((message, key), claim) in batch.messages.drain(..).zip(keys).zip(claims) {
            match claim {
                Claim::Won => {
                    kept.push(message);
                    won.push(key);
                }
                Claim::AlreadyDelivered => self.already_alerted += 1,
                Claim::HeldByOther { .. } => self.health.not_clean(|| {
                    format!(
                        "alert {} ({}) is being delivered by another invocation; retry after its lease",
                        key.subject, key.rule_id
                    )
                }),
            }
        }
        batch.messages = kept;
        (batch, won)
    }

    /// The table failed before `batch` was sent: none of it went out.
    fn none_sent(&mut self, batch: &Batch, e: &StateError) {
        let total = batch.messages.len();
        self.failed(DeliverError {
            failed: total,
            total,
            message: e.to_string(),
        });
    }

    fn failed(&mut self, e: DeliverError) {
        self.undelivered.push(e);
    }

    fn note_delivered(&mut self, batch: &Batch) {
        for m in &batch.messages {
            match m.kind {
                Kind::Alert => {
                    self.sent.0 += 1;
                    *self.sent_by_rule.entry(m.rule_id.clone()).or_default() += 1;
                }
                Kind::Correlation => {
                    self.sent.0 += 1;
                    *self
                        .sent_by_correlation
                        .entry(m.rule_id.clone())
                        .or_default() += 1;
                }
                Kind::Digest => self.sent.1 += 1,
            }
        }
        let now = Utc::now();
        self.last = Some(Instant::now());
        for t in batch
            .messages
            .iter()
            .filter_map(|m| m.event_time.as_deref())
        {
            if let Ok(t) = DateTime::parse_from_rfc3339(t) {
                let lag = (now - t.with_timezone(&Utc)).num_seconds().max(0);
                self.max_lag_seconds = Some(self.max_lag_seconds.map_or(lag, |m| m.max(lag)));
            }
        }
    }
}

/// The state identity of a message: (rule, eventID), or (rule, object) for a digest.
fn alert_key(object: &str, m: &Message) -> AlertKey {
    match (m.kind, &m.event_id) {
        (Kind::Digest, _) => AlertKey::digest(&m.rule_id, object),
        (Kind::Alert | Kind::Correlation, Some(id)) if !id.is_empty() => {
            AlertKey::alert(&m.rule_id, id)
        }
        (Kind::Alert | Kind::Correlation, _) => {
            AlertKey::alert(&m.rule_id, format!("sha256:{}", m.key))
        }
    }
}

/// Claims batches ahead of their turn: a copy of what a [`Delivery`] claims with.
#[derive(Clone)]
pub struct Claimer<'a> {
    claims: &'a dyn ClaimStore,
    flight: &'a Flight,
    owner: String,
    object: String,
    settings: StateSettings,
}

/// A batch with its claims asked (or not, with claims off or the object stopping), waiting
/// for its turn to be sent.
pub struct Claimed<'a> {
    batch: Batch,
    /// Held from before the claim until after the mark; `None`: stopped before the claim.
    flying: Option<InFlight<'a>>,
    /// The keys, what the table answered, and when it was asked; `None` with claims off.
    #[allow(clippy::type_complexity)]
    claims: Option<(
        Vec<AlertKey>,
        Result<Vec<Claim>, StateError>,
        tokio::time::Instant,
    )>,
}

impl<'a> Claimer<'a> {
    /// Claims `batch`'s alerts for this delivery's owner.
    pub async fn claim(&self, batch: Batch) -> Claimed<'a> {
        let Some(flying) = self.flight.enter() else {
            return Claimed {
                batch,
                flying: None,
                claims: None,
            };
        };
        if !self.settings.claims {
            return Claimed {
                batch,
                flying: Some(flying),
                claims: None,
            };
        }
        let keys: Vec<AlertKey> = batch
            .messages
            .iter()
            .map(|m| alert_key(&self.object, m))
            .collect();
        let claimed_at = tokio::time::Instant::now();
        let answer = self
            .claims
            .claim(&keys, &self.owner, SystemTime::now(), self.settings.lease)
            .await;
        Claimed {
            batch,
            flying: Some(flying),
            claims: Some((keys, answer, claimed_at)),
        }
    }
}
