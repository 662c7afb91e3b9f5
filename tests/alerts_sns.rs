//! Alerts through real local SNS and SQS (moto): what each subscriber receives, filter
//! policies, batching as seen on the wire, and no redelivery on retry to FIFO topics.
//!
//! `PublishBatch` calls are counted by a small HTTP proxy between the SDK and moto, which can
//! also fail them on demand, so the counts come from the wire and not from trailwatch.
//! The proxy is `support::fault_proxy`, shared with the fault tests.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::fault_proxy::{sdk_via, PublishBatchProxy as Proxy};
use support::{fifo_queue_by_dedup_id, string_attributes, waiting, Aws, Moto};
use trailwatch::alert::{Alert, RuleRef};
use trailwatch::config::Settings;
use trailwatch::deliver::{Deliver, RetryPolicy, SnsDeliver};
use trailwatch::fetch::ObjectRef;
use trailwatch::handler::Handler;
use trailwatch::plan::{PlanSettings, Planner, Routes};
use trailwatch::rules::{Level, RuleSet};

/// Plans `alerts` as one object's matches (storm limit `max`) and delivers every batch, as the
/// pipeline does. Returns the messages not delivered and the messages sent, when any failed.
async fn publish(
    deliver: &SnsDeliver,
    topic: &str,
    alerts: &[Alert],
    max: usize,
) -> Result<(), (usize, usize)> {
    let settings = PlanSettings {
        max_alerts_per_rule: max,
        routes: Routes::single(topic),
        ..PlanSettings::default()
    };
    let mut planner = Planner::new(&settings, alerts[0].source.clone());
    let mut batches = Vec::new();
    for a in alerts {
        planner.add_alert(a.clone(), &mut batches);
    }
    planner.finish(&mut batches);
    let total: usize = batches.iter().map(|b| b.messages.len()).sum();
    let mut failed = 0;
    for batch in &batches {
        if let Err(e) = deliver.send(batch).await {
            failed += e.failed;
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err((failed, total))
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        first_delay: Duration::from_millis(10),
    }
}

fn alert(rule_id: &str, level: Level, i: usize) -> Alert {
    Alert {
        rule: RuleRef {
            id: rule_id.into(),
            title: format!("Rule {rule_id}"),
            level,
            tags: vec!["attack.impact".into()],
            description: None,
            falsepositives: vec![],
            notify: vec![],
        },
        event: json!({
            "eventID": format!("ev-{rule_id}-{i:03}"),
            "eventTime": "2026-11-25T03:12:45Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "RebootInstance",
            "awsRegion": "us-east-1",
            "recipientAccountId": "123456789012",
            "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"},
            "requestParameters": {"instanceName": format!("web-{i}")},
        })
        .into(),
        source: ObjectRef::S3 {
            bucket: "trail".into(),
            key: "k.json.gz".into(),
        },
        summary: None,
        suppressed: None,
    }
}

fn alerts(rule_id: &str, n: usize) -> Vec<Alert> {
    (0..n).map(|i| alert(rule_id, Level::High, i)).collect()
}

fn event_ids(bodies: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = bodies
        .iter()
        .map(|b| b["event"]["eventID"].as_str().unwrap_or("?").to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_subscribers_get_the_alert_json_and_filters_select_by_level() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let topic = aws.create_topic("alerts", false).await;
    let raw = aws.subscribe_queue(&topic, "raw", true, None).await;
    let enveloped = aws.subscribe_queue(&topic, "enveloped", false, None).await;
    let critical = aws
        .subscribe_queue(&topic, "critical", true, Some(r#"{"level":["critical"]}"#))
        .await;
    let publisher = SnsDeliver::new(aws.sns.clone());
    let sent = vec![
        alert("r-high", Level::High, 1),
        alert("r-crit", Level::Critical, 2),
        alert("r-med", Level::Medium, 3),
    ];
    publish(&publisher, &topic, &sent, 20)
        .await
        .expect("published");

    let raw_msgs = aws.receive_all(&raw, Duration::from_secs(5)).await;
    assert_eq!(raw_msgs.len(), 3);
    let mut bodies: Vec<Value> = raw_msgs
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    bodies.sort_by_key(|b| b["event"]["eventID"].as_str().unwrap().to_string());
    let mut expected: Vec<Value> = sent
        .iter()
        .map(|a| serde_json::from_str(&a.to_json()).unwrap())
        .collect();
    expected.sort_by_key(|b| b["event"]["eventID"].as_str().unwrap().to_string());
    assert_eq!(bodies, expected, "raw SQS gets exactly Alert::to_json");
    let attrs = string_attributes(&raw_msgs[0]);
    for name in [
        "level",
        "rule_id",
        "event_source",
        "event_name",
        "account_id",
        "region",
    ] {
        assert!(
            attrs.contains_key(name),
            "attribute {name} missing: {attrs:?}"
        );
    }

    let envelopes = aws.receive_json(&enveloped).await;
    assert_eq!(envelopes.len(), 3);
    for env in &envelopes {
        let inner: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
        assert!(inner["rule"]["id"].is_string() && inner["event"]["eventID"].is_string());
        let subject = env["Subject"].as_str().unwrap();
        assert!(subject.ends_with(" - 123456789012/us-east-1"), "{subject}");
        assert!(
            env["MessageAttributes"]["level"]["Value"].is_string(),
            "{env}"
        );
    }

    let crit = aws.receive_json(&critical).await;
    assert_eq!(crit.len(), 1, "{crit:?}");
    assert_eq!(crit[0]["rule"]["level"], "critical");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_alerts_go_out_in_three_publish_batch_calls() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = Proxy::start(moto.port).await;
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "all", true, None).await;
    let sns = aws_sdk_sns::Client::new(&sdk_via(&moto, &proxy.endpoint).await);
    let publisher = SnsDeliver::new(sns);
    publish(&publisher, &topic, &alerts("r1", 25), 100)
        .await
        .expect("published");
    assert_eq!(proxy.count(), 3, "PublishBatch calls seen on the wire");
    let got = aws.receive_json(&queue).await;
    assert_eq!(got.len(), 25);
    assert_eq!(
        event_ids(&got),
        event_ids(
            &alerts("r1", 25)
                .iter()
                .map(|a| serde_json::from_str(&a.to_json()).unwrap())
                .collect::<Vec<_>>()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_control_sends_the_limit_then_one_digest() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "all", true, None).await;
    let publisher = SnsDeliver::new(aws.sns.clone());
    publish(&publisher, &topic, &alerts("noisy", 30), 20)
        .await
        .expect("published");
    let got = aws.receive_json(&queue).await;
    assert_eq!(got.len(), 21, "20 alerts and one digest");
    let digests: Vec<&Value> = got.iter().filter(|b| b.get("digest").is_some()).collect();
    assert_eq!(digests.len(), 1);
    assert_eq!(digests[0]["digest"]["count"], 10);
    assert_eq!(
        digests[0]["digest"]["event_ids"]["items"][0],
        "ev-noisy-020"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_topic_delivers_once_when_an_object_is_processed_twice() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let topic = aws.create_topic("alerts", true).await;
    let queue = fifo_queue_by_dedup_id(&aws, &topic, "all").await;
    let publisher = SnsDeliver::new(aws.sns.clone());
    let batch = alerts("r1", 12);
    publish(&publisher, &topic, &batch, 20)
        .await
        .expect("first run");
    publish(&publisher, &topic, &batch, 20)
        .await
        .expect("second run");
    let got = aws.receive_json(&queue).await;
    assert_eq!(got.len(), 12, "each alert once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_publish_is_an_error_and_the_retry_does_not_redeliver_to_fifo() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = Proxy::start(moto.port).await;
    let topic = aws.create_topic("alerts", true).await;
    let queue = fifo_queue_by_dedup_id(&aws, &topic, "all").await;
    let sns = aws_sdk_sns::Client::new(&sdk_via(&moto, &proxy.endpoint).await);
    let publisher = SnsDeliver::new(sns).retry(fast_retry());
    let batch = alerts("r1", 25);

    proxy.fail_after(1);
    let err = publish(&publisher, &topic, &batch, 100)
        .await
        .expect_err("SNS failed");
    assert_eq!(err, (15, 25));
    assert_eq!(
        waiting(&aws, &queue).await,
        10,
        "the first batch was delivered"
    );

    proxy.heal();
    publish(&publisher, &topic, &batch, 100)
        .await
        .expect("retry succeeds");
    assert_eq!(
        proxy.count(),
        3 + 2 + 3,
        "run 1: one batch ok, two batches failing twice each; run 2: three batches"
    );
    let all = aws.receive_json(&queue).await;
    assert_eq!(
        all.len(),
        25,
        "the retry added only what was not delivered before"
    );
    let ids = event_ids(&all);
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 25, "no alert delivered twice: {ids:?}");
}

/// The handler path end to end: S3 object in, SNS out through the proxy. Needs the Sigma
/// engine (`RuleSet::from_sources`); skips with a message while the rules module is a stub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_fails_on_sns_failure_and_its_retry_does_not_redeliver() {
    let rule = r#"
title: Lightsail instance rebooted
id: 6b0d1c2e-0000-4000-8000-00000000a11e
level: critical
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: lightsail.amazonaws.com
    eventName: RebootInstance
  condition: selection
"#;
    let rules = RuleSet::from_sources(&[("reboot.yml".to_string(), rule.to_string())])
        .expect("rule compiles");
    if rules.is_empty() {
        eprintln!(
            "SKIPPED: RuleSet::from_sources returned no rules (the Sigma engine has not landed)"
        );
        return;
    }
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = Proxy::start(moto.port).await;
    let topic = aws.create_topic("alerts", true).await;
    let queue = fifo_queue_by_dedup_id(&aws, &topic, "all").await;
    let bucket = "trail";
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0310Z_abc.json.gz";
    aws.create_bucket(bucket).await;
    let records: Vec<Value> = alerts("x", 25)
        .into_iter()
        .map(|a| (*a.event).clone())
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({"Records": records}).to_string().as_bytes())
        .unwrap();
    aws.put_object(bucket, key, gz.finish().unwrap()).await;

    let mut settings = Settings::new(topic.clone(), Arc::new(rules));
    settings.max_alerts_per_rule_per_object = 100;
    let handler = Handler::aws(&sdk_via(&moto, &proxy.endpoint).await, settings);
    let payload = json!({"Records": [{"eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put", "eventTime": "2026-11-25T03:10:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]});

    proxy.fail_after(1);
    let first = handler.handle(payload.clone()).await;
    assert!(
        first.is_err(),
        "handler must fail so Lambda retries: {first:?}"
    );
    eprintln!(
        "first run: {}",
        first.err().map(|e| e.to_string()).unwrap_or_default()
    );
    assert_eq!(
        waiting(&aws, &queue).await,
        10,
        "the first batch was delivered"
    );
    proxy.heal();
    handler.handle(payload).await.expect("retry succeeds");
    let all = aws.receive_json(&queue).await;
    let ids = event_ids(&all);
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(
        (all.len(), distinct.len()),
        (25, 25),
        "each alert exactly once"
    );
}
