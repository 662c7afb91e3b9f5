//! The deliver side of one object: each planned batch claims its alerts in the state table,
//! sends the ones it won, and marks them delivered, so every alert goes out once however often
//! its record arrives (see `crate::state` for the protocol and its one crash window); the
//! claims are kept alive while their batch is sent (`super::fence`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use super::fence::{Flight, Lease};
use super::CorrelationTally;
use crate::correlate::{settle, Collected, SettleError};
use crate::deliver::{Deliver, DeliverError};
use crate::fetch::ObjectRef;
use crate::plan::{self, Batch, Held, Kind, Message, PlanSettings, RuleTally};
use crate::state::{
    AlertKey, Claim, MemoryStore, StateError, StateStore, StateUnavailable, Suppression,
    DEFAULT_RETENTION,
};

/// Correlation alerts rendered and sent at a time (a multiple of SNS's batch of 10).
const RENDER_CHUNK: usize = 100;
/// How delivery uses the state table.
#[derive(Debug, Clone, Copy)]
pub struct StateSettings {
    /// How long a claim holds before another invocation may take it over.
    pub lease: Duration,
    /// What to do when the table cannot be reached.
    pub unavailable: StateUnavailable,
    /// Whether alerts claim their identity at all. Off only for `scan --every-match` without a
    /// shared table: every match is printed, and remembering each would grow with them.
    pub claims: bool,
}

impl Default for StateSettings {
    fn default() -> Self {
        StateSettings {
            lease: Duration::from_secs(60),
            unavailable: StateUnavailable::Deliver,
            claims: true,
        }
    }
}

/// One object's delivery: its seams, and what happened so far.
pub(super) struct Delivery<'a> {
    pub deliver: &'a dyn Deliver,
    pub state: &'a dyn StateStore,
    pub settings: StateSettings,
    /// The object attempt's batches in flight, which a deadline lets finish.
    pub flight: &'a Flight,
    /// This attempt at this object, unique: the claims' owner.
    pub owner: String,
    /// The object, for digest identities.
    pub object: String,
    /// Messages not delivered, summed over the batches that failed.
    pub undelivered: Option<DeliverError>,
    /// Why the object cannot be acknowledged as clean although its alerts went out (or were
    /// held back): the table was unreachable, or another invocation holds a claim.
    pub not_clean: Option<String>,
    /// Alert and digest messages delivered.
    pub sent: (u64, u64),
    /// Alert messages delivered, per rule id.
    pub sent_by_rule: BTreeMap<String, u64>,
    /// Alerts skipped because they were delivered before (another file, path or attempt).
    pub already_alerted: u64,
    /// State calls that failed because the table could not be reached.
    pub state_unavailable: u64,
    /// The longest wait from a delivered alert's `eventTime` to its delivery, in seconds.
    pub max_lag_seconds: Option<i64>,
    /// When the last batch was delivered.
    pub last: Option<Instant>,
}

impl Delivery<'_> {
    /// Claims, sends and marks one batch.
    pub async fn send(&mut self, batch: Batch) {
        // Counted from before its claim until after its mark.
        let Some(_flying) = self.flight.enter() else {
            let total = batch.messages.len();
            self.failed(DeliverError {
                failed: total,
                total,
                message: "not sent: the object was stopped at its deadline".into(),
            });
            return;
        };
        if !self.settings.claims {
            match self.deliver.send(&batch).await {
                Ok(()) => self.note_delivered(&batch),
                Err(e) => self.failed(e),
            }
            return;
        }
        let keys: Vec<AlertKey> = batch.messages.iter().map(|m| self.key(m)).collect();
        let claimed_at = tokio::time::Instant::now();
        let claims = self
            .state
            .claim(&keys, &self.owner, SystemTime::now(), self.settings.lease)
            .await;
        let (batch, won) = match claims {
            Ok(claims) => self.keep_won(batch, keys, &claims),
            Err(e)
                if e.is_unavailable() && self.settings.unavailable == StateUnavailable::Deliver =>
            {
                // A duplicate beats a missed page: send, and leave the object retryable.
                self.unreachable(&e, "claims skipped, alerts sent anyway");
                (batch, Vec::new())
            }
            Err(e) => {
                self.none_sent(&batch, &e, "nothing sent for the object");
                return;
            }
        };
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
        let state = self.state;
        let lease = Lease::new(
            state,
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
        let (state, deliver, owner) = (self.state, self.deliver, self.owner.clone());
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
                    self.none_sent(&batch, &e, "claims not renewed, nothing sent");
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
                    self.unreachable(&e, "alerts sent but not marked delivered");
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

    /// Asks the state table about the object's held `suppress:` combinations and delivers the
    /// alerts it says to send; returns the matches suppressed.
    pub async fn release(&mut self, held: Vec<Held>, settings: &PlanSettings) -> u64 {
        if held.is_empty() {
            return 0;
        }
        let now = SystemTime::now();
        let sightings: Vec<_> = held.iter().map(|h| h.sighting(&self.object, now)).collect();
        let decisions = match self.state.suppress(&sightings, now).await {
            Ok(decisions) => decisions,
            Err(e)
                if e.is_unavailable() && self.settings.unavailable == StateUnavailable::Deliver =>
            {
                self.unreachable(&e, "suppression skipped, alerts sent anyway");
                vec![Suppression::Deliver { suppressed: 0 }; held.len()]
            }
            Err(e) => {
                self.unreachable(&e, "suppressed alerts held back");
                return 0;
            }
        };
        let mut batches = Vec::new();
        let suppressed = plan::release(held, &decisions, settings, &mut batches);
        for batch in batches {
            self.send(batch).await;
        }
        suppressed
    }

    /// Settles the object's correlation slices with the state table and delivers the alerts
    /// of the windows they complete.
    pub async fn correlate(
        &mut self,
        pipeline: &super::Pipeline,
        source: &ObjectRef,
        collected: Collected,
    ) -> CorrelationTally {
        let mut tally = CorrelationTally {
            dropped: collected.dropped + collected.untimed,
            ..CorrelationTally::default()
        };
        if collected.untimed > 0 {
            tracing::warn!(object = %self.object, matches = collected.untimed,
                "correlated matches without a readable eventTime: not counted");
        }
        if collected.dropped > 0 {
            tracing::warn!(object = %self.object, matches = collected.dropped,
                "more correlated matches (500000) or groups (10000) than one object may hold: the rest not counted");
        }
        if collected.slices.is_empty() {
            return tally;
        }
        let times = collected
            .slices
            .values()
            .flatten()
            .flat_map(|s| s.contributions.iter().map(|c| c.at));
        let (oldest, newest) = times.fold((i64::MAX, i64::MIN), |(lo, hi), at| {
            (lo.min(at), hi.max(at))
        });
        let now = pipeline.correlation_now(source, oldest, newest);
        let rules = pipeline.rules();
        let lateness = pipeline.settings.correlation.lateness;
        let settled = match settle(self.state, rules, collected, lateness, now, source).await {
            Ok(s) => s,
            Err(failed)
                if failed.error.is_unavailable()
                    && self.settings.unavailable == StateUnavailable::Deliver =>
            {
                // A duplicate beats a missed page: correlate the rest of the object on its own.
                let SettleError {
                    error,
                    mut settled,
                    rest,
                } = *failed;
                self.unreachable(&error, "correlated the object alone, alerts sent anyway");
                let alone = MemoryStore::new(DEFAULT_RETENTION);
                if let Ok(more) = settle(&alone, rules, rest, lateness, now, source).await {
                    settled.alerts.extend(more.alerts);
                    settled.late += more.late;
                }
                settled
            }
            Err(failed) => {
                self.unreachable(&failed.error, "correlations not evaluated");
                return tally;
            }
        };
        tally.late = settled.late;
        if settled.late > 0 {
            tracing::warn!(object = %self.object, records = settled.late,
                "records older than their correlation window allows (CORRELATION_LATENESS): not counted");
        }
        let before: u64 = self.sent.0;
        let mut sent_before = self.sent_by_rule.clone();
        // Rendered a chunk at a time: an object can fire thousands of groups, and each alert
        // renders to kilobytes in three forms.
        for chunk in settled.alerts.chunks(RENDER_CHUNK) {
            let mut batches = Vec::new();
            plan::correlations(chunk, &pipeline.settings.plan, &mut batches);
            for batch in batches {
                self.send(batch).await;
            }
        }
        tally.alerts = self.sent.0 - before;
        for a in settled.alerts.iter().filter(|a| !a.feeds_only) {
            let c = &a.correlation;
            let entry = tally
                .rules
                .entry(c.id.clone())
                .or_insert_with(|| RuleTally {
                    title: c.title.clone(),
                    level: Some(c.level),
                    ..RuleTally::default()
                });
            entry.matches += 1;
        }
        for (id, entry) in &mut tally.rules {
            let now_sent = self.sent_by_rule.get(id).copied().unwrap_or(0);
            let was = sent_before.remove(id).unwrap_or(0);
            entry.alerted = now_sent - was;
            // Counted here, not again as a plan rule's delivered alerts.
            self.sent_by_rule.insert(id.clone(), was);
        }
        tally
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
                Claim::HeldByOther { .. } => {
                    self.not_clean.get_or_insert_with(|| {
                        format!("alert {} ({}) is being delivered by another invocation; retry after its lease", key.subject, key.rule_id)
                    });
                }
            }
        }
        batch.messages = kept;
        (batch, won)
    }

    /// The state identity of a message: (rule, eventID), or (rule, object) for a digest.
    fn key(&self, m: &Message) -> AlertKey {
        match (m.kind, &m.event_id) {
            (Kind::Digest, _) => AlertKey::digest(&m.rule_id, &self.object),
            (Kind::Alert | Kind::Correlation, Some(id)) if !id.is_empty() => {
                AlertKey::alert(&m.rule_id, id)
            }
            (Kind::Alert | Kind::Correlation, _) => {
                AlertKey::alert(&m.rule_id, format!("sha256:{}", m.key))
            }
        }
    }

    /// Notes that the table could not be reached, or refused, while doing `what`.
    pub fn unreachable(&mut self, e: &StateError, what: &str) {
        if e.is_unavailable() {
            self.state_unavailable += 1;
        }
        tracing::error!(object = %self.object, error = %e, "state table: {what}");
        self.not_clean
            .get_or_insert_with(|| format!("{e} ({what})"));
    }

    /// The table failed before `batch` was sent: none of it went out.
    fn none_sent(&mut self, batch: &Batch, e: &StateError, what: &str) {
        self.unreachable(e, what);
        let total = batch.messages.len();
        self.failed(DeliverError {
            failed: total,
            total,
            message: e.to_string(),
        });
    }

    fn failed(&mut self, e: DeliverError) {
        self.undelivered = Some(match self.undelivered.take() {
            None => e,
            Some(before) => DeliverError {
                failed: before.failed + e.failed,
                total: before.total + e.total,
                message: before.message,
            },
        });
    }

    fn note_delivered(&mut self, batch: &Batch) {
        for m in &batch.messages {
            match m.kind {
                Kind::Alert | Kind::Correlation => {
                    self.sent.0 += 1;
                    *self.sent_by_rule.entry(m.rule_id.clone()).or_default() += 1;
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
