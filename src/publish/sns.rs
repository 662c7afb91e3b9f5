//! The AWS seam: alerts published to SNS topics with `PublishBatch`.
//!
//! Delivery contract: every alert of an object reaches its topic, or `publish` fails so the
//! Lambda invocation fails and is retried. Redelivery on that retry is made harmless where SNS
//! allows it: entry ids are deterministic and, on FIFO topics, `MessageDeduplicationId` is a
//! hash of (eventID, rule id), so SNS drops what it already accepted within its 5-minute
//! window. Standard topics are at-least-once.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};

use super::message::{Outgoing, SNS_MESSAGE_MAX};
use super::routing::Routes;
use super::storm;
use super::{Publish, PublishError};
use crate::render::Alert;

/// `PublishBatch` limits: entries per call, and bytes across them.
pub const BATCH_ENTRIES: usize = 10;
pub const BATCH_BYTES: usize = SNS_MESSAGE_MAX;
/// Default for `MAX_ALERTS_PER_RULE_PER_OBJECT`.
pub const DEFAULT_MAX_ALERTS_PER_RULE: usize = 20;

/// How failed batch entries are retried (throttling inside a call is the SDK's own retry).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
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

#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    routes: Routes,
    max_per_rule: usize,
    retry: RetryPolicy,
}

impl SnsPublisher {
    pub fn new(client: aws_sdk_sns::Client, routes: Routes) -> Self {
        SnsPublisher {
            client,
            routes,
            max_per_rule: DEFAULT_MAX_ALERTS_PER_RULE,
            retry: RetryPolicy::default(),
        }
    }

    /// Alerts per rule per object before the rest go into one digest.
    pub fn max_alerts_per_rule(mut self, max: usize) -> Self {
        self.max_per_rule = max.max(1);
        self
    }

    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sends `entries` to `topic`, retrying failed entries with backoff. Returns the entries
    /// still undelivered, with the last error.
    async fn send_batch(&self, topic: &str, entries: &[Outgoing]) -> (usize, Option<String>) {
        let fifo = topic.ends_with(".fifo");
        let mut pending: Vec<&Outgoing> = entries.iter().collect();
        let mut last_error = None;
        let mut delay = self.retry.first_delay;
        for attempt in 0..self.retry.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            let request = pending
                .iter()
                .map(|o| entry(o, fifo))
                .collect::<Result<Vec<_>, _>>();
            let request = match request {
                Ok(r) => r,
                Err(e) => return (pending.len(), Some(e)),
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
                        let message = format!(
                            "{}: {}{}",
                            f.code(),
                            f.message().unwrap_or(""),
                            if f.sender_fault() {
                                " (sender fault)"
                            } else {
                                ""
                            }
                        );
                        tracing::warn!(topic, entry = f.id(), error = %message, attempt, "batch entry failed");
                        last_error = Some(message);
                    }
                    let failed_ids: Vec<&str> = failed.iter().map(|f| f.id()).collect();
                    pending.retain(|o| failed_ids.contains(&o.entry_id().as_str()));
                    if pending.is_empty() {
                        return (0, None);
                    }
                }
                Err(e) => {
                    let message = aws_sdk_sns::error::DisplayErrorContext(&e).to_string();
                    tracing::warn!(topic, error = %message, attempt, "PublishBatch failed");
                    last_error = Some(message);
                }
            }
        }
        (pending.len(), last_error)
    }
}

fn entry(o: &Outgoing, fifo: bool) -> Result<PublishBatchRequestEntry, String> {
    let mut e = PublishBatchRequestEntry::builder()
        .id(o.entry_id())
        .message(&o.message)
        .message_structure("json")
        .subject(&o.subject);
    for a in &o.attributes {
        let value = MessageAttributeValue::builder()
            .data_type(a.data_type)
            .string_value(&a.value)
            .build()
            .map_err(|e| e.to_string())?;
        e = e.message_attributes(a.name, value);
    }
    if fifo {
        e = e
            .message_group_id(&o.group)
            .message_deduplication_id(&o.key);
    }
    e.build().map_err(|e| e.to_string())
}

/// Packs messages into batches of at most [`BATCH_ENTRIES`] and [`BATCH_BYTES`], in order.
pub fn batches(messages: &[Outgoing]) -> Vec<&[Outgoing]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, m) in messages.iter().enumerate() {
        let full = i - start == BATCH_ENTRIES || bytes + m.size() > BATCH_BYTES;
        if i > start && full {
            out.push(&messages[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += m.size();
    }
    if start < messages.len() {
        out.push(&messages[start..]);
    }
    out
}

#[async_trait]
impl Publish for SnsPublisher {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let plan = storm::plan(alerts, self.max_per_rule);
        if plan.duplicates > 0 {
            tracing::info!(
                duplicates = plan.duplicates,
                "repeated events in the object: sent once"
            );
        }
        for d in &plan.digests {
            tracing::warn!(rule_id = %d.rule.id, suppressed = d.count, "alert storm: sending a digest");
        }
        let mut by_topic: BTreeMap<&str, Vec<Outgoing>> = BTreeMap::new();
        for alert in &plan.alerts {
            let message = Outgoing::alert(alert);
            for topic in self.routes.topics(&alert.rule.id, &alert.rule.notify) {
                by_topic.entry(topic).or_default().push(message.clone());
            }
        }
        for digest in &plan.digests {
            let message = Outgoing::digest(digest);
            for topic in self.routes.topics(&digest.rule.id, &digest.rule.notify) {
                by_topic.entry(topic).or_default().push(message.clone());
            }
        }
        let total: usize = by_topic.values().map(Vec::len).sum();
        let mut failed = 0;
        let mut first_error = None;
        for (topic, messages) in &by_topic {
            for batch in batches(messages) {
                let (undelivered, error) = self.send_batch(topic, batch).await;
                if undelivered > 0 {
                    tracing::error!(topic, undelivered, error = ?error, "alerts not delivered");
                    failed += undelivered;
                    first_error = first_error.or(error);
                }
            }
        }
        if failed == 0 {
            return Ok(());
        }
        Err(PublishError {
            failed,
            total,
            message: first_error.unwrap_or_else(|| "unknown error".into()),
        })
    }
}
