//! SNS failing mid-invocation (throttling, down after one batch), and an SQS batch at Lambda's
//! deadline, against moto with faults injected by a small HTTP proxy between the SDK and moto
//! (`support::fault_proxy`). Each case shows the function's failure contract: what the SDK
//! retries, what fails the invocation so Lambda retries it, and what reaches SNS. S3 failing is
//! in `faults_aws.rs`; the FIFO no-redelivery case is in `alerts_sns.rs`.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::fault_proxy::{Fault, Plan, PUBLISH_BATCH};
use support::faults::{delivered, ids, key, s3_event, world};
use trailwatch::handler::HandlerError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_throttling_is_retried_and_every_alert_arrives_once() {
    let w = world(&[("a", 25)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: PUBLISH_BATCH,
        pass: 1,
        times: 2,
        fault: Fault::Error {
            status: 400,
            code: "Throttling",
        },
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(
        w.proxy.seen(PUBLISH_BATCH),
        3 + 2,
        "three batches, the second throttled twice"
    );
    assert_eq!(delivered(&w).await, ids("a", 25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_down_halfway_fails_retryably_and_the_retry_loses_nothing_on_a_standard_topic() {
    let w = world(&[("a", 25)], Duration::from_secs(60)).await;
    assert!(!w.topic.ends_with(".fifo"));
    w.proxy.plan(Plan {
        needle: PUBLISH_BATCH,
        pass: 1,
        times: usize::MAX,
        fault: Fault::Error {
            status: 503,
            code: "ServiceUnavailable",
        },
    });
    let event = s3_event(&[&key("a")]);
    let err = w
        .handler
        .handle(event.clone())
        .await
        .expect_err("SNS is down");
    assert!(matches!(err, HandlerError::Retryable { .. }), "{err}");
    let first = delivered(&w).await;
    assert_eq!(
        first,
        ids("a", 10),
        "the first batch went out before SNS failed"
    );

    w.proxy.heal();
    w.handler.handle(event).await.expect("the retry succeeds");
    let mut all = first;
    all.extend(delivered(&w).await);
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, ids("a", 25), "nothing lost (at-least-once)");
    assert!(all.len() >= 25, "{}", all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_batch_reports_objects_unfinished_at_the_deadline_in_batch_item_failures() {
    let w = world(&[("done", 1), ("stuck", 1)], Duration::from_secs(600)).await;
    w.proxy.plan(Plan {
        needle: "_stuck.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Stall,
    });
    let message = |id: &str, k: &str| {
        json!({"messageId": id, "receiptHandle": "h", "body": s3_event(&[k]).to_string(),
               "attributes": {}, "messageAttributes": {}, "md5OfBody": "0",
               "eventSource": "aws:sqs", "awsRegion": "us-east-1",
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trail-events"})
    };
    let payload =
        json!({"Records": [message("m-done", &key("done")), message("m-stuck", &key("stuck"))]});
    let started = Instant::now();
    let response = w
        .handler
        .handle_until(payload, Some(Instant::now() + Duration::from_secs(3)))
        .await
        .expect("SQS batches answer per message");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(response.batch_item_failures(), ["m-stuck"]);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-stuck"}]})
    );
    assert_eq!(delivered(&w).await, ids("done", 1));
}
