//! An SQS batch of EventBridge events is one unit: each event is matched on its own (its
//! alerts name it), and the batch's suppression and correlation verdicts are asked at once,
//! one slice per correlation group instead of one per event.

#[path = "support/spy.rs"]
mod spy;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use spy::Spy;
use trailwatch::config::Settings;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::MemoryFetch;
use trailwatch::handler::Handler;
use trailwatch::plan::Kind;
use trailwatch::rules_source::RuleStore;

const DENIED_BURST: &str = "5c1719fd-2a53-4848-b09e-d11f20e0cd17";

/// An SQS batch of `n` EventBridge events, each a Lightsail call by one IAM user denied a
/// few seconds apart, just now.
fn denied_batch(n: usize) -> Value {
    let now = chrono::Utc::now();
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let at = (now - chrono::Duration::seconds(60 - i as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let detail = json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAQXAMPLEUSER4J7Q2",
                    "arn": "arn:aws:iam::123456789012:user/svc-backup",
                    "accountId": "123456789012", "userName": "svc-backup"},
                "eventTime": at, "eventSource": "lightsail.amazonaws.com",
                "eventName": "CreateInstances", "awsRegion": "us-east-1",
                "sourceIPAddress": "192.0.2.150", "errorCode": "AccessDenied",
                "eventID": format!("d0000000-0000-4000-8000-0000000000{i:02}"),
                "eventType": "AwsApiCall", "recipientAccountId": "123456789012"
            });
            let body = json!({"version": "0", "id": format!("e0000000-0000-4000-8000-0000000000{i:02}"),
                "detail-type": "AWS API Call via CloudTrail", "source": "aws.lightsail",
                "account": "123456789012", "time": at, "region": "us-east-1",
                "resources": [], "detail": detail});
            json!({"messageId": format!("m-{i}"), "receiptHandle": "r",
                "body": body.to_string(), "attributes": {}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trailwatch",
                "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

fn handler(store: Arc<Spy>) -> (Handler, Arc<MemoryDeliver>) {
    let rules = Arc::new(trailwatch::pack::load().expect("bundled rules"));
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new("arn:aws:sns:us-east-1:123456789012:alerts", rules.clone());
    let handler = Handler::new(
        Arc::new(MemoryFetch::new()),
        deliver.clone(),
        RuleStore::fixed(rules),
        &settings,
    )
    .with_state(store);
    (handler, deliver)
}

#[tokio::test]
async fn a_batch_of_ten_denied_calls_is_one_slice_and_one_burst_alert() {
    let store = Arc::new(Spy::default());
    let (handler, deliver) = handler(store.clone());
    let batch = denied_batch(10);
    let response = handler.handle(batch.clone()).await.expect("handled");
    assert!(
        response.batch_item_failures().is_empty(),
        "{:?}",
        response.summary.failed
    );
    assert_eq!(response.summary.events, 10);
    let bursts: Vec<_> = deliver
        .messages()
        .into_iter()
        .filter(|m| m.kind == Kind::Correlation && m.rule_id == DENIED_BURST)
        .collect();
    assert_eq!(bursts.len(), 1, "one burst, one alert");
    // One round of verdicts for the batch: the burst's group is one slice of ten records,
    // where one slice per event made ten.
    let gathers = store.gathers.lock().expect("gathers").clone();
    let burst_slices: usize = gathers
        .iter()
        .map(|g| g.iter().filter(|c| *c == DENIED_BURST).count())
        .sum();
    assert_eq!(burst_slices, 1, "{gathers:?}");
    assert!(store.suppress_calls.load(Ordering::SeqCst) <= 1);

    // The same batch again (SQS redelivers it): nothing new goes out.
    let before = deliver.messages().len();
    let again = handler.handle(batch).await.expect("handled");
    assert!(again.batch_item_failures().is_empty());
    assert_eq!(
        deliver.messages().len(),
        before,
        "a redelivered batch alerts again"
    );
    assert!(again.summary.already_alerted > 0);
}

#[tokio::test]
async fn a_failed_verdict_fails_every_event_of_the_batch() {
    let store = Arc::new(Spy::default());
    store.broken.store(true, Ordering::SeqCst);
    let (handler, _deliver) = handler(store);
    let response = handler.handle(denied_batch(4)).await.expect("handled");
    let mut failed = response.batch_item_failures();
    failed.sort_unstable();
    assert_eq!(
        failed,
        ["m-0", "m-1", "m-2", "m-3"],
        "{:?}",
        response.summary.failed
    );
}
