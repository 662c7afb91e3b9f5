//! `Aws`: S3, SNS and SQS clients on one config, with the set-up and read-back the tests share
//! (buckets, topics, subscribed queues, draining a queue, message attributes).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};

/// Clients for the three services, built from one config.
pub struct Aws {
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Aws {
    pub fn new(sdk: &SdkConfig) -> Aws {
        Aws {
            s3: aws_sdk_s3::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }

    pub async fn create_bucket(&self, bucket: &str) {
        self.s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {bucket}: {e:?}"));
    }

    pub async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {e:?}"));
    }

    pub async fn put_file(&self, bucket: &str, key: &str, file: &Path) {
        let body = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        self.put_object(bucket, key, body).await;
    }

    /// Creates a topic and returns its ARN; a FIFO topic's name gets the `.fifo` suffix.
    pub async fn create_topic(&self, name: &str, fifo: bool) -> String {
        let mut req = self.sns.create_topic();
        if fifo {
            req = req
                .name(format!("{name}.fifo"))
                .attributes("FifoTopic", "true")
                .attributes("ContentBasedDeduplication", "true");
        } else {
            req = req.name(name);
        }
        let out = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("create topic {name}: {e:?}"));
        out.topic_arn().expect("topic ARN").to_string()
    }

    /// Creates a queue (FIFO when the topic is) subscribed to `topic_arn` and returns its URL.
    /// `raw` sets `RawMessageDelivery`; `filter_policy` is a JSON SNS filter policy.
    pub async fn subscribe_queue(
        &self,
        topic_arn: &str,
        queue_name: &str,
        raw: bool,
        filter_policy: Option<&str>,
    ) -> String {
        let fifo = topic_arn.ends_with(".fifo");
        let mut req = self.sqs.create_queue();
        if fifo {
            req = req
                .queue_name(format!("{queue_name}.fifo"))
                .attributes(QueueAttributeName::FifoQueue, "true")
                .attributes(QueueAttributeName::ContentBasedDeduplication, "true");
        } else {
            req = req.queue_name(queue_name);
        }
        let queue_url = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("create queue {queue_name}: {e:?}"))
            .queue_url()
            .expect("queue URL")
            .to_string();
        self.subscribe_existing_queue(topic_arn, &queue_url, raw, filter_policy)
            .await;
        queue_url
    }

    /// Subscribes the queue at `queue_url` to `topic_arn`, as [`Aws::subscribe_queue`] does
    /// for the queues it creates.
    pub async fn subscribe_existing_queue(
        &self,
        topic_arn: &str,
        queue_url: &str,
        raw: bool,
        filter_policy: Option<&str>,
    ) {
        let queue_arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("queue ARN");

        let mut sub = self
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", raw.to_string());
        if let Some(policy) = filter_policy {
            sub = sub.attributes("FilterPolicy", policy);
        }
        sub.send()
            .await
            .unwrap_or_else(|e| panic!("subscribe {queue_url} to {topic_arn}: {e:?}"));
    }

    /// Everything waiting on the queue, deleted as it is read. Polls until a receive comes back
    /// empty (SNS→SQS delivery in moto is immediate) or `deadline` passes.
    pub async fn receive_all(&self, queue_url: &str, deadline: Duration) -> Vec<Message> {
        let until = Instant::now() + deadline;
        let mut all = Vec::new();
        while Instant::now() < until {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receive message");
            let batch = out.messages.unwrap_or_default();
            if batch.is_empty() {
                break;
            }
            for m in &batch {
                if let Some(handle) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete message");
                }
            }
            all.extend(batch);
        }
        all
    }

    /// The bodies of everything waiting on the queue, parsed as JSON.
    pub async fn receive_json(&self, queue_url: &str) -> Vec<serde_json::Value> {
        self.receive_all(queue_url, Duration::from_secs(5))
            .await
            .iter()
            .map(|m| {
                let body = m.body().unwrap_or_default();
                serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("message body is not JSON ({e}): {body}"))
            })
            .collect()
    }
}

/// String message attributes of an SQS message (as SNS forwards them with raw delivery).
pub fn string_attributes(m: &Message) -> HashMap<String, String> {
    m.message_attributes()
        .map(|attrs| {
            attrs
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A FIFO queue subscribed (raw) to a FIFO topic, deduplicating only on the
/// `MessageDeduplicationId` SNS passes on: content-based deduplication is off, so a duplicate
/// can only be caught by the id trailwatch set. (moto does not dedupe in SNS itself; its SQS
/// FIFO queue dedupes ids among undeleted messages, so tests count before consuming.)
pub async fn fifo_queue_by_dedup_id(aws: &Aws, topic: &str, name: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName as Q;
    let url = aws
        .sqs
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(Q::FifoQueue, "true")
        .attributes(Q::ContentBasedDeduplication, "false")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    aws.subscribe_existing_queue(topic, &url, true, None).await;
    url
}

/// Messages waiting on a queue, without consuming them.
pub async fn waiting(aws: &Aws, queue: &str) -> usize {
    use aws_sdk_sqs::types::QueueAttributeName as Q;
    aws.sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(Q::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&Q::ApproximateNumberOfMessages)?.parse().ok())
        .unwrap_or(0)
}
