//! Verdicts: the one place that asks the state table about an object's matches, once the
//! object is read. Suppression says whether each held `suppress:` combination is the first in
//! its window; the correlate stage's store says which windows the object's records complete.
//! Both are asked at once, and `STATE_UNAVAILABLE` is applied to each through
//! [`Health::fail`]: the plan then turns matches and verdicts into batches without I/O.

use std::time::SystemTime;

use async_trait::async_trait;

use crate::correlate::{self, Collected, CorrelationClock, CorrelationStore, Settled};
use crate::fetch::ObjectRef;
use crate::plan::{Sighting, Suppression};
use crate::rules::RuleSet;
use crate::state::{Fallback, Health, StateError};

/// Suppression windows shared by every object. Every call takes a batch and answers in its
/// order.
#[async_trait]
pub trait SuppressionStore: Send + Sync {
    /// Decides each sighting, counting the suppressed ones; `now` (wall clock) sets the TTL.
    async fn suppress(
        &self,
        sightings: &[Sighting],
        now: SystemTime,
    ) -> Result<Vec<Suppression>, StateError>;
}

/// The seams verdicts are asked through.
#[derive(Clone, Copy)]
pub struct Seams<'a> {
    /// Suppression windows.
    pub suppressions: &'a dyn SuppressionStore,
    /// Correlation windows.
    pub correlations: &'a dyn CorrelationStore,
}

/// What the state table said about one object.
#[derive(Debug, Default)]
pub struct Verdicts {
    /// One per sighting, in order; `None` when the table failed and the alerts are held back.
    pub suppression: Option<Vec<Suppression>>,
    /// The correlation windows the object completes (empty when they could not be evaluated).
    pub correlation: Settled,
}

/// What one object's correlation input is, besides its slices: the matches no window counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Uncounted {
    /// Matches past the per-object bounds.
    pub dropped: u64,
    /// Matches without a readable `eventTime`.
    pub untimed: u64,
}

/// Asks the table about `object`'s held combinations (`sightings`) and correlation slices
/// (`collected`), on the correlation `clock`. Failures are noted in `health`.
pub async fn ask(
    seams: Seams<'_>,
    health: &mut Health,
    sightings: &[Sighting],
    collected: Collected,
    rules: &RuleSet,
    clock: &CorrelationClock,
    object: &ObjectRef,
) -> (Verdicts, Uncounted) {
    let uncounted = Uncounted {
        dropped: collected.dropped,
        untimed: collected.untimed,
    };
    if uncounted.untimed > 0 {
        tracing::warn!(object = %object, matches = uncounted.untimed,
            "correlated matches without a readable eventTime: not counted");
    }
    if uncounted.dropped > 0 {
        tracing::warn!(object = %object, matches = uncounted.dropped,
            "more correlated matches (500000) or groups (10000) than one object may hold: the rest not counted");
    }
    let suppressing = async {
        if sightings.is_empty() {
            return Ok(Vec::new());
        }
        seams
            .suppressions
            .suppress(sightings, SystemTime::now())
            .await
    };
    // Read once: on event time it advances the object's stream.
    let now = collected
        .span()
        .map(|(oldest, newest)| clock.now(object, oldest, newest));
    let correlating = async {
        let Some(now) = now else {
            return Ok(Settled::default());
        };
        let store = Some(seams.correlations);
        correlate::settle(store, rules, collected, clock.lateness(), now, object).await
    };
    let (suppression, correlation) = futures::join!(suppressing, correlating);
    let suppression = match suppression {
        Ok(decisions) => Some(decisions),
        Err(e) => match health.fail(
            &e,
            "suppression skipped, alerts sent anyway",
            "suppressed alerts held back",
        ) {
            Fallback::Degrade => Some(vec![
                Suppression::Deliver { suppressed: 0 };
                sightings.len()
            ]),
            Fallback::HoldBack => None,
        },
    };
    let correlation = match correlation {
        Ok(settled) => settled,
        Err(failed) => {
            let correlate::SettleError {
                error,
                mut settled,
                rest,
            } = *failed;
            match health.fail(
                &error,
                "correlated the object alone, alerts sent anyway",
                "correlations not evaluated",
            ) {
                Fallback::Degrade => {
                    // The rest of the object, with nothing recorded before it.
                    let now = now.unwrap_or_else(SystemTime::now);
                    let alone =
                        correlate::settle(None, rules, rest, clock.lateness(), now, object).await;
                    if let Ok(more) = alone {
                        settled.alerts.extend(more.alerts);
                        settled.late += more.late;
                    }
                    settled
                }
                Fallback::HoldBack => Settled::default(),
            }
        }
    };
    if correlation.late > 0 {
        tracing::warn!(object = %object, records = correlation.late,
            "records older than their correlation window allows (CORRELATION_LATENESS): not counted");
    }
    (
        Verdicts {
            suppression,
            correlation,
        },
        uncounted,
    )
}
