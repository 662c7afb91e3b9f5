//! A store that serves every stage's seam: what the Lambda and the CLI hand the pipeline.

use crate::correlate::CorrelationStore;
use crate::deliver::ClaimStore;
use crate::verdict::SuppressionStore;

/// Claims, suppression verdicts and correlation windows on one table (or in memory).
pub trait StateStore: ClaimStore + SuppressionStore + CorrelationStore {}

impl<T: ClaimStore + SuppressionStore + CorrelationStore> StateStore for T {}
