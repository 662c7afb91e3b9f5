//! The Lambda handler end to end against moto: an S3 notification in, CloudTrail fetched from
//! S3 and matched against the bundled rules, alerts read back from an SQS queue subscribed to
//! the alert topic.
//!
//! Summaries are checked through their JSON, which is what the Lambda returns for a direct
//! S3 invocation.
mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use support::{Aws, Moto, DEMO_BUCKET, ROOT_REBOOT_EVENT_ID, ROOT_REBOOT_RULE};
use trailwatch::config::Settings;
use trailwatch::handler::Handler;

async fn handler_for(moto: &Moto, topic_arn: &str) -> Handler {
    let rules = trailwatch::pack::load().expect("bundled rules compile");
    let settings = Settings::new(topic_arn, Arc::new(rules));
    Handler::aws(&moto.sdk_config().await, settings)
}

/// The one alert the demo delivery must raise.
fn assert_root_reboot_alert(alert: &Value, key: &str) {
    assert_eq!(
        alert["rule"]["id"],
        support::rule_id(ROOT_REBOOT_RULE),
        "{alert:#}"
    );
    assert_eq!(alert["event"]["eventID"], ROOT_REBOOT_EVENT_ID, "{alert:#}");
    assert_eq!(alert["event"]["eventName"], "RebootInstance");
    assert_eq!(alert["event"]["userIdentity"]["type"], "Root");
    assert_eq!(alert["event"]["requestParameters"]["instanceName"], "web-1");
    assert!(alert["rule"]["title"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(alert["rule"]["level"].is_string(), "{alert:#}");
    assert!(alert["rule"]["tags"].is_array(), "{alert:#}");
    assert_eq!(alert["source"], json!({"bucket": DEMO_BUCKET, "key": key}));
}

#[tokio::test]
async fn s3_put_raises_exactly_the_root_reboot_alert() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let handler = handler_for(&moto, &world.topic_arn).await;

    let response = handler
        .handle(support::s3_put_event())
        .await
        .expect("handler succeeds");

    let alerts = aws.receive_json(&world.queue_url).await;
    assert_eq!(alerts.len(), 1, "exactly one alert, got {alerts:#?}");
    assert_root_reboot_alert(&alerts[0], &world.key);

    let summary = serde_json::to_value(&response).expect("summary serializes");
    assert_eq!(summary["objects"], 1, "{summary:#}");
    assert_eq!(summary["events"], 5, "{summary:#}");
    assert_eq!(summary["alerts"], 1, "{summary:#}");
    assert_eq!(summary["skipped"], json!([]), "{summary:#}");
    assert_eq!(summary["failed"], json!([]), "{summary:#}");
}

#[tokio::test]
async fn alert_subject_is_short_with_the_level() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let enveloped = aws
        .subscribe_queue(&world.topic_arn, "alerts-enveloped", false, None)
        .await;
    let handler = handler_for(&moto, &world.topic_arn).await;
    handler
        .handle(support::s3_put_event())
        .await
        .expect("handler succeeds");

    let notes = aws.receive_json(&enveloped).await;
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let subject = notes[0]["Subject"].as_str().expect("Subject");
    assert!(subject.starts_with('['), "{subject}");
    assert!(subject.len() <= 100, "SNS caps subjects at 100: {subject}");
    let body: Value = serde_json::from_str(notes[0]["Message"].as_str().expect("Message"))
        .expect("Message is the alert JSON");
    let level = body["rule"]["level"].as_str().expect("level");
    assert!(
        subject.starts_with(&format!("[{}] ", level.to_uppercase())),
        "{subject}"
    );
}

#[tokio::test]
async fn corrupt_object_fails_alone() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;

    // A second delivery, five minutes later, whose gzip stream breaks after the header.
    let bad_key = world.key.replace("20261125T1005Z", "20261125T1010Z");
    let mut garbage = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03];
    garbage.extend_from_slice(b"this is not a deflate stream at all");
    aws.put_object(DEMO_BUCKET, &bad_key, garbage).await;

    let mut event = support::s3_put_event();
    let mut bad_record = event["Records"][0].clone();
    bad_record["s3"]["object"]["key"] = json!(bad_key.replace(' ', "+"));
    bad_record["s3"]["object"]["size"] = json!(45);
    event["Records"]
        .as_array_mut()
        .expect("Records")
        .insert(0, bad_record);

    let handler = handler_for(&moto, &world.topic_arn).await;
    let response = handler
        .handle(event)
        .await
        .expect("one bad object does not fail the batch");

    let alerts = aws.receive_json(&world.queue_url).await;
    assert_eq!(alerts.len(), 1, "the good object's alert, got {alerts:#?}");
    assert_root_reboot_alert(&alerts[0], &world.key);

    let summary = serde_json::to_value(&response).expect("summary serializes");
    assert_eq!(summary["objects"], 2, "{summary:#}");
    assert_eq!(summary["alerts"], 1, "{summary:#}");
    let failed = summary["failed"].as_array().expect("failed is a list");
    assert_eq!(failed.len(), 1, "{summary:#}");
    let object = failed[0]["object"].as_str().expect("failed[0].object");
    assert!(
        object.contains("20261125T1010Z"),
        "names the bad key: {object}"
    );
    assert!(
        failed[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{summary:#}"
    );
}

#[tokio::test]
async fn missing_object_is_reported_not_panicked() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    aws.create_bucket(DEMO_BUCKET).await;
    let topic_arn = aws.create_topic("trailwatch-alerts", false).await;
    let queue_url = aws
        .subscribe_queue(&topic_arn, "alerts-raw", true, None)
        .await;
    let handler = handler_for(&moto, &topic_arn).await;

    // The bucket is empty: the notification names an object that is not there.
    let outcome = handler.handle(support::s3_put_event()).await;
    if let Ok(response) = outcome {
        let summary = serde_json::to_value(&response).expect("summary serializes");
        assert_eq!(summary["alerts"], 0, "{summary:#}");
        assert_eq!(
            summary["failed"].as_array().map(Vec::len),
            Some(1),
            "{summary:#}"
        );
    }
    assert!(aws.receive_json(&queue_url).await.is_empty());
}
