//! Deliver stage: the only output seam. Batches planned by [`crate::plan`] leave the process.
//!
//! One small trait with three implementations: SNS for the Lambda, stdout for the CLI, and an
//! in-memory recorder for tests. Rendering, routing and batching are already done: a delivery
//! seam only sends, and says what it could not send.

mod memory;
mod sns;
mod stdout;

use async_trait::async_trait;

use crate::plan::Batch;

pub use memory::{MemoryDeliver, Received};
pub use sns::{RetryPolicy, SnsDeliver};
pub use stdout::StdoutDeliver;

/// Some messages of a batch were not delivered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{failed} of {total} alerts not delivered: {message}")]
pub struct DeliverError {
    /// Messages not delivered.
    pub failed: usize,
    /// Messages in the batch.
    pub total: usize,
    /// The last error the destination gave.
    pub message: String,
}

/// Sends batches of rendered messages.
#[async_trait]
pub trait Deliver: Send + Sync {
    /// Delivers every message of `batch`, or says how many were not delivered.
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError>;
}
