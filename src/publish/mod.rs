//! Publish stage: alerts leave the process.
//!
//! The Lambda publishes to SNS, the CLI prints to stdout; both sit behind one small trait so the
//! pipeline does not know which it feeds.

pub mod message;
pub mod routing;
mod sns;
mod stdout;
pub mod storm;

use async_trait::async_trait;

use crate::render::Alert;

pub use routing::{Routes, UnknownAlias};
pub use sns::{batches, RetryPolicy, SnsPublisher, DEFAULT_MAX_ALERTS_PER_RULE};
pub use stdout::{Format, StdoutPublisher};

#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} alerts not delivered: {message}")]
pub struct PublishError {
    pub failed: usize,
    pub total: usize,
    pub message: String,
}

/// Delivers alerts somewhere people or machines will see them.
#[async_trait]
pub trait Publish: Send + Sync {
    /// Delivers every alert, or says how many were not delivered. `alerts` are all the alerts
    /// of one object: per-object storm control and deduplication depend on it.
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError>;
}
