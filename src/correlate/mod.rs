//! Correlate stage: the matches of rules that correlation rules refer to become window state,
//! and windows that satisfy a correlation become alerts.
//!
//! - While an object is read, a [`Correlator`] files each such match under its (correlation,
//!   group) as a [`Contribution`]: its eventID's digest, eventTime, which rule, the `field`
//!   value. It is pure and bounded ([`MAX_CONTRIBUTIONS`] per object).
//! - After the object, [`settle`] hands each group's [`Slice`] to the state store, which
//!   returns every slice the group holds from any object or path ([`crate::state`]). The
//!   merged records are evaluated over event time ([`window`]): each moment the condition
//!   holds over the timespan ending there is a trigger. The store turns triggers into
//!   firings, one per group per timespan ([`cover`]), so objects
//!   read in any order, twice, or at once by two invocations give the same alerts as one
//!   sorted pass (for conditions with a lower bound). Chains run inner correlations first;
//!   their alerts are records for the correlations that refer to them.
//!
//! `RULES.md` ("Correlation rules") states the semantics for rule authors.

mod cases;
mod clock;
mod collect;
mod settle;
mod slice;
mod store;
pub mod window;

pub use cases::{run_case, CorrelationCaseOutcome};
pub use clock::{Clock, CorrelationClock, CorrelationSettings, DEFAULT_LATENESS, MAX_STREAMS};
pub use collect::{
    digest64, format_ms, group_digest, parse_ms, text_at, Collected, Correlator, MAX_CONTRIBUTIONS,
    MAX_GROUPS,
};
pub use settle::{settle, SettleError, Settled};
pub use slice::{
    compact, cover, prune, Contribution, FireRequest, Fired, GroupId, Sample, Slice, SAMPLES,
};
pub use store::CorrelationStore;
