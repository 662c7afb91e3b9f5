//! The deliver side of one object: each planned batch is sent as it arrives, and what happened
//! is tallied for the object's outcome (failures, delivery lag, the last delivery's instant).

use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::deliver::{Deliver, DeliverError};
use crate::plan::Batch;

/// What delivering one object's batches did.
#[derive(Debug, Default)]
pub(super) struct Delivered {
    /// Messages not delivered, summed over the batches that failed.
    pub undelivered: Option<DeliverError>,
    /// The longest wait from a delivered alert's `eventTime` to its delivery, in seconds.
    pub max_lag_seconds: Option<i64>,
    /// When the last batch was delivered.
    pub last: Option<Instant>,
}

impl Delivered {
    /// Sends `batch` through `deliver`, noting the outcome.
    pub async fn send(&mut self, deliver: &dyn Deliver, batch: &Batch) {
        match deliver.send(batch).await {
            Ok(()) => {
                let now = Utc::now();
                self.last = Some(Instant::now());
                for m in &batch.messages {
                    let Some(t) = m.event_time.as_deref() else {
                        continue;
                    };
                    if let Ok(t) = DateTime::parse_from_rfc3339(t) {
                        let lag = (now - t.with_timezone(&Utc)).num_seconds().max(0);
                        self.max_lag_seconds =
                            Some(self.max_lag_seconds.map_or(lag, |m| m.max(lag)));
                    }
                }
            }
            Err(e) => {
                self.undelivered = Some(match self.undelivered.take() {
                    None => e,
                    Some(before) => DeliverError {
                        failed: before.failed + e.failed,
                        total: before.total + e.total,
                        message: before.message,
                    },
                });
            }
        }
    }
}
