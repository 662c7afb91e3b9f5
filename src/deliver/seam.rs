//! The output seam: where planned batches leave the process.

use async_trait::async_trait;

use crate::plan::Batch;

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

/// Distinct messages a merged error keeps; past them, how many more there were.
const MERGED_MESSAGES: usize = 5;

impl DeliverError {
    /// Several batches' failures as one: counts summed, each distinct message kept (the first
    /// five of them, then how many more).
    pub fn merged(errors: &[DeliverError]) -> Option<DeliverError> {
        let first = errors.first()?;
        let mut messages: Vec<&str> = Vec::new();
        for e in errors {
            if !messages.contains(&e.message.as_str()) {
                messages.push(&e.message);
            }
        }
        let more = messages.len().saturating_sub(MERGED_MESSAGES);
        let mut message = messages[..messages.len() - more].join("; ");
        if more > 0 {
            message.push_str(&format!("; and {more} other error(s)"));
        }
        Some(DeliverError {
            failed: errors.iter().map(|e| e.failed).sum(),
            total: errors.iter().map(|e| e.total).sum(),
            message: if errors.len() == 1 {
                first.message.clone()
            } else {
                message
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(failed: usize, message: &str) -> DeliverError {
        DeliverError {
            failed,
            total: 10,
            message: message.into(),
        }
    }

    #[test]
    fn merged_errors_sum_counts_and_keep_each_distinct_message() {
        assert!(DeliverError::merged(&[]).is_none());
        let merged = DeliverError::merged(&[
            error(3, "throttled"),
            error(10, "topic not found"),
            error(1, "throttled"),
        ])
        .expect("three errors");
        assert_eq!((merged.failed, merged.total), (14, 30));
        assert_eq!(merged.message, "throttled; topic not found");
        let many: Vec<_> = (0..8).map(|i| error(1, &format!("e{i}"))).collect();
        let merged = DeliverError::merged(&many).expect("eight errors");
        assert_eq!(merged.message, "e0; e1; e2; e3; e4; and 3 other error(s)");
    }
}
