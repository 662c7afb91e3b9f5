//! The AWS seam: batches published to their SNS topic with `PublishBatch`.
//!
//! Delivery contract: every message of a batch reaches its topic, or `send` fails so the
//! object is reported retryable and the invocation is retried. Redelivery on that retry is made
//! harmless where SNS allows it: entry ids are deterministic and, on FIFO topics,
//! `MessageDeduplicationId` is the message's key, so SNS drops what it already accepted within
//! its 5-minute window. Standard topics are at-least-once (see `docs/alerts.md`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

use super::seam::{Deliver, DeliverError};
use crate::plan::{Batch, Message};

/// How failed batch entries are retried (throttling inside a call is the SDK's own retry).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Calls per batch, the first included.
    pub attempts: u32,
    /// The wait before the second call; it doubles after each.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(200),
        }
    }
}

/// Publishes batches to SNS.
#[derive(Debug, Clone)]
pub struct SnsDeliver {
    client: aws_sdk_sns::Client,
    retry: RetryPolicy,
}

impl SnsDeliver {
    /// Publishes with `client`, retrying failed entries by [`RetryPolicy::default`].
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        SnsDeliver {
            client,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets how failed entries are retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

#[async_trait]
impl Deliver for SnsDeliver {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        let topic = batch.topic.as_str();
        let fifo = topic.ends_with(".fifo");
        let mut pending: Vec<&Message> = batch.messages.iter().collect();
        let mut last_error = String::from("unknown error");
        let mut delay = self.retry.first_delay;
        for attempt in 0..self.retry.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            let request = pending
                .iter()
                .map(|m| entry(m, fifo))
                .collect::<Result<Vec<_>, _>>();
            let request = match request {
                Ok(r) => r,
                Err(e) => {
                    last_error = e;
                    break;
                }
            };
            let sent = self
                .client
                .publish_batch()
                .topic_arn(topic)
                .set_publish_batch_request_entries(Some(request))
                .send()
                .await;
            match sent {
                Ok(out) => {
                    let failed = out.failed();
                    for f in failed {
                        let fault = if f.sender_fault() {
                            " (sender fault)"
                        } else {
                            ""
                        };
                        last_error = format!("{}: {}{fault}", f.code(), f.message().unwrap_or(""));
                        tracing::warn!(topic, entry = f.id(), error = %last_error, attempt, "batch entry failed");
                    }
                    let failed_ids: Vec<&str> = failed.iter().map(|f| f.id()).collect();
                    pending.retain(|m| failed_ids.contains(&m.entry_id().as_str()));
                    if pending.is_empty() {
                        return Ok(());
                    }
                }
                Err(e) => {
                    last_error = aws_sdk_sns::error::DisplayErrorContext(&e).to_string();
                    tracing::warn!(topic, error = %last_error, attempt, "PublishBatch failed");
                }
            }
        }
        tracing::error!(topic, undelivered = pending.len(), error = %last_error, "alerts not delivered");
        Err(DeliverError {
            failed: pending.len(),
            total: batch.messages.len(),
            message: last_error,
        })
    }
}

fn entry(m: &Message, fifo: bool) -> Result<PublishBatchRequestEntry, String> {
    let mut e = PublishBatchRequestEntry::builder()
        .id(m.entry_id())
        .message(&m.body)
        .message_structure("json")
        .subject(&m.subject);
    for a in &m.attributes {
        let value = MessageAttributeValue::builder()
            .data_type(a.data_type)
            .string_value(&a.value)
            .build()
            .map_err(|e| e.to_string())?;
        e = e.message_attributes(a.name, value);
    }
    if fifo {
        e = e
            .message_group_id(&m.group)
            .message_deduplication_id(&m.key);
    }
    e.build().map_err(|e| e.to_string())
}
