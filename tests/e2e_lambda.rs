//! The real `trailwatch-lambda` binary behind `cargo lambda watch` (the Lambda Runtime API),
//! invoked with `events/s3-put.json` through `cargo lambda invoke`, against moto.
//!
//! The first run builds the function in debug mode inside `cargo lambda watch`; the timeouts
//! are generous for that.
mod support;

use support::lambda::Watch;
use support::{Aws, Moto, ROOT_REBOOT_EVENT_ID, ROOT_REBOOT_RULE};

const TABLE: &str = "trailwatch-state";

#[tokio::test(flavor = "multi_thread")]
async fn lambda_runtime_turns_s3_put_into_one_sns_alert() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let logs = tempfile::tempdir().expect("tempdir");
    moto.create_state_table(TABLE).await;

    let watch = Watch::start(&moto, &world.topic_arn, TABLE, logs.path());
    let summary = tokio::task::block_in_place(|| watch.invoke("events/s3-put.json", logs.path()));

    assert_eq!(summary["objects"], 1, "{summary:#}");
    assert_eq!(summary["events"], 5, "{summary:#}");
    assert_eq!(summary["alerts"], 1, "{summary:#}");
    assert_eq!(summary["failed"], serde_json::json!([]), "{summary:#}");

    let alerts = aws.receive_json(&world.queue_url).await;
    assert_eq!(alerts.len(), 1, "exactly one alert, got {alerts:#?}");
    assert_eq!(alerts[0]["event"]["eventID"], ROOT_REBOOT_EVENT_ID);
    assert_eq!(alerts[0]["rule"]["id"], support::rule_id(ROOT_REBOOT_RULE));
    assert_eq!(alerts[0]["source"]["key"], world.key.as_str());
}

/// Every trigger shape in `events/` through the real runtime: each names the demo delivery (or
/// a missing or corrupt neighbour) and must produce the root reboot alert, or the right failure.
#[tokio::test(flavor = "multi_thread")]
async fn every_trigger_shape_reaches_the_same_alert() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    let corrupt = world
        .key
        .replace("20261125T1005Z_demo trail", "20261125T1010Z_corrupt");
    aws.put_object(
        support::DEMO_BUCKET,
        &corrupt,
        b"\x1f\x8bnot really gzip".to_vec(),
    )
    .await;
    let logs = tempfile::tempdir().expect("tempdir");
    let state = moto.create_state_table(TABLE).await;
    let watch = Watch::start(&moto, &world.topic_arn, TABLE, logs.path());
    // Each shape names the same file: the state is cleared before each, or the alerts after
    // the first would rightly be skipped as already delivered.
    let invoke = |file: &str| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(support::clear_state_table(&state, TABLE));
            watch.invoke(file, logs.path())
        })
    };

    for file in [
        "events/sns-s3.json",
        "events/sns-cloudtrail.json",
        "events/eventbridge-object-created.json",
        "events/sqs-s3.json",
        "events/sqs-sns-s3.json",
    ] {
        let response = invoke(file);
        let alerts = aws.receive_json(&world.queue_url).await;
        assert_eq!(
            alerts.len(),
            1,
            "{file}: one alert, got {alerts:#?}; response {response:#}"
        );
        assert_eq!(
            alerts[0]["event"]["eventID"], ROOT_REBOOT_EVENT_ID,
            "{file}"
        );
        if file.contains("sqs") {
            assert_eq!(
                response,
                serde_json::json!({"batchItemFailures": []}),
                "{file}"
            );
        }
    }

    let response = invoke("events/s3-test-event.json");
    assert_eq!(response["objects"], 0, "{response:#}");

    let response = invoke("events/sqs-batch-missing.json");
    let failures = response["batchItemFailures"]
        .as_array()
        .expect("SQS response");
    assert_eq!(failures.len(), 1, "{response:#}");
    assert_eq!(
        failures[0]["itemIdentifier"],
        "00000002-1111-4222-8333-444455556662"
    );
    // Messages 1 and 3 name the same file: its alert goes out once.
    assert_eq!(
        aws.receive_json(&world.queue_url).await.len(),
        1,
        "the two good messages alert once"
    );

    for file in ["events/batch-1.0.json", "events/batch-2.0.json"] {
        let response = invoke(file);
        let codes: Vec<&str> = response["results"]
            .as_array()
            .expect("Batch response")
            .iter()
            .map(|r| r["resultCode"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            codes,
            ["Succeeded", "PermanentFailure"],
            "{file}: {response:#}"
        );
        assert_eq!(aws.receive_json(&world.queue_url).await.len(), 1, "{file}");
    }
}
