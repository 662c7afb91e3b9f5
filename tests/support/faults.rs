//! The world the fault tests (`faults_aws.rs`, `faults_sns.rs`) run in: moto with a bucket of
//! matching deliveries, a standard topic with a raw queue on it, and a handler whose S3 and SNS
//! clients go through a [`FaultProxy`] with the SDK's standard retry.

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use serde_json::{json, Value};
use trailwatch::config::Settings;
use trailwatch::handler::Handler;
use trailwatch::rules::RuleSet;

use super::fault_proxy::{self, FaultProxy};
use super::{Aws, Moto};

/// The SDK through the proxy, with the standard retry mode (3 attempts) and short backoff.
pub async fn sdk_retrying_via(moto: &Moto, endpoint: &str) -> SdkConfig {
    fault_proxy::sdk_via(moto, endpoint)
        .await
        .into_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build()
}

pub const BUCKET: &str = "trail";
pub const RULE: &str = "title: Reboot\nid: 6b0d1c2e-0000-4000-8000-00000000f417\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  selection:\n    \
    eventSource: lightsail.amazonaws.com\n    eventName: RebootInstance\n  condition: selection\n";

pub fn key(name: &str) -> String {
    format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0310Z_{name}.json.gz")
}

/// A delivery of `n` matching records with event ids `{prefix}-{i}`.
pub fn delivery(prefix: &str, n: usize) -> Vec<u8> {
    use std::io::Write;
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"eventSource": "lightsail.amazonaws.com", "eventName": "RebootInstance",
                   "eventID": format!("{prefix}-{i:02}"), "awsRegion": "us-east-1",
                   "recipientAccountId": "123456789012", "eventTime": "2026-11-25T03:05:00Z"})
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .unwrap();
    gz.finish().unwrap()
}

pub fn s3_record(key: &str) -> Value {
    json!({"eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
           "eventTime": "2026-11-25T03:10:00.000Z",
           "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}})
}

pub fn s3_event(keys: &[&str]) -> Value {
    json!({ "Records": keys.iter().map(|k| s3_record(k)).collect::<Vec<_>>() })
}

pub struct World {
    _moto: Moto,
    pub aws: Aws,
    pub proxy: FaultProxy,
    pub topic: String,
    pub queue: String,
    pub handler: Handler,
}

/// moto with a bucket holding `objects` (name, record count), a standard topic with a raw
/// queue on it, and a handler whose S3 and SNS clients go through the fault proxy.
pub async fn world(objects: &[(&str, usize)], object_timeout: Duration) -> World {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = FaultProxy::start(moto.port).await;
    aws.create_bucket(BUCKET).await;
    for (name, n) in objects {
        aws.put_object(BUCKET, &key(name), delivery(name, *n)).await;
    }
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts", true, None).await;
    let rules = RuleSet::from_sources(&[("reboot.yml".into(), RULE.into())]).unwrap();
    let mut settings = Settings::new(topic.clone(), Arc::new(rules));
    settings.max_alerts_per_rule_per_object = 100;
    settings.object_timeout = object_timeout;
    let handler = Handler::aws(&sdk_retrying_via(&moto, &proxy.endpoint).await, settings);
    World {
        _moto: moto,
        aws,
        proxy,
        topic,
        queue,
        handler,
    }
}

/// Event ids of everything delivered to the queue so far, sorted, duplicates kept.
pub async fn delivered(w: &World) -> Vec<String> {
    let mut ids: Vec<String> = w
        .aws
        .receive_json(&w.queue)
        .await
        .iter()
        .map(|m| m["event"]["eventID"].as_str().unwrap_or("?").to_string())
        .collect();
    ids.sort();
    ids
}

pub fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:02}")).collect()
}
