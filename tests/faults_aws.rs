//! S3 failing mid-invocation, against moto with faults injected by a small HTTP proxy between
//! the SDK and moto (`support::fault_proxy`): error responses (5xx), dropped connections, and
//! stalls (no answer, or a body that stops halfway). Each case shows the function's failure
//! contract: what the SDK retries, what fails the invocation so Lambda retries it, and what
//! reaches SNS. SNS failing and the SQS batch deadline are in `faults_sns.rs`; the FIFO
//! no-redelivery case is in `alerts_sns.rs`.

mod support;

use std::time::{Duration, Instant};

use support::fault_proxy::{Fault, Plan, GET_OBJECT};
use support::faults::{delivered, ids, key, s3_event, world, BUCKET};
use trailwatch::handler::HandlerError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_get_object_failing_transiently_is_retried_and_succeeds() {
    let w = world(&[("a", 3)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Error {
            status: 503,
            code: "SlowDown",
        },
    });
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Error {
            status: 500,
            code: "InternalError",
        },
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(w.proxy.seen(GET_OBJECT), 3, "two failures, then success");
    assert_eq!(delivered(&w).await, ids("a", 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_dropped_connection_is_retried_and_succeeds() {
    let w = world(&[("a", 2)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Drop,
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(delivered(&w).await, ids("a", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_failing_persistently_is_a_retryable_error_naming_the_object() {
    let w = world(&[("a", 1), ("b", 1)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: "_a.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Error {
            status: 500,
            code: "InternalError",
        },
    });
    let err = w
        .handler
        .handle(s3_event(&[&key("a"), &key("b")]))
        .await
        .expect_err("the invocation fails so Lambda retries it");
    assert!(
        matches!(err, HandlerError::Retryable { count: 1, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("s3://{BUCKET}/{}", key("a"))) && text.contains("InternalError"),
        "{text}"
    );
    assert_eq!(w.proxy.seen("_a.json.gz"), 3, "the SDK's three attempts");
    assert_eq!(delivered(&w).await, ids("b", 1), "the other object alerted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_s3_objects_hit_the_object_timeout_not_the_lambda_limit() {
    let w = world(
        &[("headers", 1), ("body", 400), ("ok", 1)],
        Duration::from_secs(2),
    )
    .await;
    w.proxy.plan(Plan {
        needle: "_headers.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Stall,
    });
    w.proxy.plan(Plan {
        needle: "_body.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::StallBody,
    });
    let started = Instant::now();
    let err = w
        .handler
        .handle(s3_event(&[&key("headers"), &key("body"), &key("ok")]))
        .await
        .expect_err("stalled objects are retryable failures");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, HandlerError::Retryable { count: 2, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert_eq!(text.matches("OBJECT_TIMEOUT_SECONDS").count(), 2, "{text}");
    assert_eq!(delivered(&w).await, ids("ok", 1));
}
