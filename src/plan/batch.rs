//! Batching: messages for one destination, at most [`BATCH_ENTRIES`] and [`BATCH_BYTES`].

use std::collections::BTreeMap;

use super::message::{Message, SNS_MESSAGE_MAX};

/// `PublishBatch` limits: entries per call, and bytes across them.
pub const BATCH_ENTRIES: usize = 10;
/// Bytes across one batch's messages.
pub const BATCH_BYTES: usize = SNS_MESSAGE_MAX;

/// Messages for one destination (an SNS topic ARN, or `-` for stdout), sent in one call.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Where the messages go.
    pub topic: String,
    /// At most [`BATCH_ENTRIES`], whose sizes add up to at most [`BATCH_BYTES`].
    pub messages: Vec<Message>,
}

impl Batch {
    /// Bytes as SNS counts them.
    pub fn size(&self) -> usize {
        self.messages.iter().map(Message::size).sum()
    }
}

/// The batch being filled for each destination.
#[derive(Debug, Default)]
pub(super) struct Batcher {
    pending: BTreeMap<String, Batch>,
}

impl Batcher {
    /// Adds `message` for each topic; a batch that would overflow is sent first.
    pub(super) fn push(&mut self, topics: &[&str], message: Message, out: &mut Vec<Batch>) {
        for topic in topics {
            let batch = self
                .pending
                .entry(topic.to_string())
                .or_insert_with(|| Batch {
                    topic: topic.to_string(),
                    messages: Vec::new(),
                });
            let full = batch.messages.len() == BATCH_ENTRIES
                || batch.size() + message.size() > BATCH_BYTES;
            if full && !batch.messages.is_empty() {
                out.push(Batch {
                    topic: batch.topic.clone(),
                    messages: std::mem::take(&mut batch.messages),
                });
            }
            batch.messages.push(message.clone());
            if batch.messages.len() == BATCH_ENTRIES {
                out.push(Batch {
                    topic: batch.topic.clone(),
                    messages: std::mem::take(&mut batch.messages),
                });
            }
        }
    }

    /// Every batch not yet sent, in topic order.
    pub(super) fn flush(&mut self, out: &mut Vec<Batch>) {
        for (_, batch) in std::mem::take(&mut self.pending) {
            if !batch.messages.is_empty() {
                out.push(batch);
            }
        }
    }
}
