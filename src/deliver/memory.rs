//! The test seam: batches kept in memory with the instant each arrived, and failures on demand.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use super::seam::{Deliver, DeliverError};
use crate::plan::{Batch, Message};

/// One batch as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// When `send` was called.
    pub at: Instant,
    /// What was sent.
    pub batch: Batch,
}

/// Records every delivered batch; fails every batch after the first `pass` when told to.
#[derive(Debug, Default)]
pub struct MemoryDeliver {
    received: Mutex<Vec<Received>>,
    /// Batches still let through before failing; `usize::MAX` when not failing.
    pass: AtomicUsize,
    failing: std::sync::atomic::AtomicBool,
}

impl MemoryDeliver {
    /// A recorder that delivers everything.
    pub fn new() -> Self {
        MemoryDeliver::default()
    }

    /// Lets `pass` more batches through, then fails every later one until [`Self::heal`].
    pub fn fail_after(&self, pass: usize) {
        self.pass.store(pass, Ordering::SeqCst);
        self.failing.store(true, Ordering::SeqCst);
    }

    /// Delivers everything again.
    pub fn heal(&self) {
        self.failing.store(false, Ordering::SeqCst);
    }

    /// Every batch delivered so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Every message delivered so far, in order.
    pub fn messages(&self) -> Vec<Message> {
        self.received()
            .into_iter()
            .flat_map(|r| r.batch.messages)
            .collect()
    }
}

#[async_trait]
impl Deliver for MemoryDeliver {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        if self.failing.load(Ordering::SeqCst) {
            let left = self.pass.load(Ordering::SeqCst);
            if left == 0 {
                return Err(DeliverError {
                    failed: batch.messages.len(),
                    total: batch.messages.len(),
                    message: "injected failure".into(),
                });
            }
            self.pass.store(left - 1, Ordering::SeqCst);
        }
        if let Ok(mut r) = self.received.lock() {
            r.push(Received {
                at: Instant::now(),
                batch: batch.clone(),
            });
        }
        Ok(())
    }
}
