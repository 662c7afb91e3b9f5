//! The AWS seam: alerts published to an SNS topic.

use async_trait::async_trait;

use super::{Publish, PublishError};
use crate::render::{self, Alert};

/// Publishes each alert to one topic, subject short, body the alert JSON.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsPublisher {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        SnsPublisher {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

#[async_trait]
impl Publish for SnsPublisher {
    async fn publish(&self, alerts: &[Alert]) -> Result<(), PublishError> {
        let mut failed = Vec::new();
        for alert in alerts {
            let sent = self
                .client
                .publish()
                .topic_arn(&self.topic_arn)
                .subject(render::subject(alert))
                .message(alert.to_json())
                .send()
                .await;
            if let Err(e) = sent {
                let message = aws_sdk_sns::error::DisplayErrorContext(&e).to_string();
                tracing::error!(rule_id = %alert.rule.id, error = %message, "publish failed");
                failed.push(message);
            }
        }
        match failed.first() {
            None => Ok(()),
            Some(first) => Err(PublishError {
                failed: failed.len(),
                total: alerts.len(),
                message: first.clone(),
            }),
        }
    }
}
