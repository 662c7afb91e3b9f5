//! How objects are scanned, planned and delivered: one value, read from the environment by
//! `crate::config` and overridden by the CLI's flags.

use std::sync::Arc;
use std::time::Duration;

use crate::correlate::CorrelationSettings;
use crate::decode;
use crate::enrich::Enricher;
use crate::plan::PlanSettings;
use crate::state::StateSettings;

/// Objects the function scans at once when `MAX_CONCURRENCY` is unset.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Default for `OBJECT_TIMEOUT_SECONDS`: a 1 GB delivery decodes in well under a minute.
pub const DEFAULT_OBJECT_TIMEOUT: Duration = Duration::from_secs(120);

/// How objects are scanned and their matches planned.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Decompressed-size and record-size bounds for every object.
    pub limits: decode::Limits,
    /// How long one object may take (`OBJECT_TIMEOUT_SECONDS`): a stalled body or a slow
    /// hostile file fails alone, as retryable, instead of holding the run to its limit.
    pub object_timeout: Option<Duration>,
    /// Objects in flight at once.
    pub concurrency: usize,
    /// How matches become messages.
    pub plan: PlanSettings,
    /// How delivery and verdicts use the state table.
    pub state: StateSettings,
    /// Lateness and clock of correlation windows.
    pub correlation: CorrelationSettings,
    /// The enrich stage's sources, loaded at start (`ENRICH_*`).
    pub enrich: Arc<Enricher>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: decode::Limits::default(),
            object_timeout: Some(DEFAULT_OBJECT_TIMEOUT),
            concurrency: DEFAULT_CONCURRENCY,
            plan: PlanSettings::default(),
            state: StateSettings::default(),
            correlation: CorrelationSettings::default(),
            enrich: Arc::default(),
        }
    }
}
