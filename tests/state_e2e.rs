//! Exactly-once alerts on a standard topic, end to end against moto (S3, SNS, SQS, DynamoDB),
//! counted on a queue subscribed to the topic: repeated notifications, a retry after a failed
//! publish, concurrent invocations, suppression across files, and a state table that is down.

mod support;

use std::sync::Arc;

use serde_json::{json, Value};
use support::fault_proxy::{Fault, FaultProxy, Plan, PUBLISH_BATCH};
use support::faults::{delivery, key, s3_event, sdk_retrying_via, BUCKET, RULE};
use support::{Aws, Moto};
use trailwatch::config::Settings;
use trailwatch::handler::Handler;
use trailwatch::rules::RuleSet;

const TABLE: &str = "trailwatch-state";
const DYNAMODB: &str = "DynamoDB_20120810";

struct World {
    _moto: Moto,
    aws: Aws,
    proxy: FaultProxy,
    queue: String,
    dynamodb: aws_sdk_dynamodb::Client,
    handler: Arc<Handler>,
}

/// A bucket holding `objects` (name, bytes), a standard topic with a raw queue, the state
/// table, and a handler (storm limit 100, `rules`) whose clients go through the fault proxy.
async fn world(objects: Vec<(&str, Vec<u8>)>, rules: &str) -> World {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = FaultProxy::start(moto.port).await;
    aws.create_bucket(BUCKET).await;
    for (name, body) in objects {
        aws.put_object(BUCKET, &key(name), body).await;
    }
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts", true, None).await;
    let dynamodb = moto.create_state_table(TABLE).await;
    let rules = RuleSet::from_sources(&[("rules.yml".into(), rules.into())]).unwrap();
    let mut settings = Settings::new(topic, Arc::new(rules));
    settings.max_alerts_per_rule_per_object = 100;
    settings.state_table = Some(TABLE.into());
    let handler = Handler::aws(&sdk_retrying_via(&moto, &proxy.endpoint).await, settings);
    World {
        _moto: moto,
        aws,
        proxy,
        queue,
        dynamodb,
        handler: Arc::new(handler),
    }
}

/// Every alert JSON on the queue so far.
async fn received(w: &World) -> Vec<Value> {
    w.aws.receive_json(&w.queue).await
}

fn event_ids(alerts: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = alerts
        .iter()
        .map(|a| a["event"]["eventID"].as_str().unwrap_or("?").to_string())
        .collect();
    ids.sort();
    ids
}

fn expected(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:02}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_notification_twice_delivers_each_alert_once() {
    let w = world(vec![("a", delivery("a", 5))], RULE).await;
    let first = w
        .handler
        .handle(s3_event(&[&key("a")]))
        .await
        .expect("first");
    let second = w
        .handler
        .handle(s3_event(&[&key("a")]))
        .await
        .expect("second");
    assert_eq!(first.summary.already_alerted, 0);
    assert_eq!(second.summary.already_alerted, 5, "{:?}", second.summary);
    assert_eq!(event_ids(&received(&w).await), expected("a", 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_failure_halfway_then_the_retry_delivers_each_alert_once() {
    let w = world(vec![("a", delivery("a", 25))], RULE).await;
    w.proxy.plan(Plan {
        needle: PUBLISH_BATCH,
        pass: 1,
        times: 100,
        fault: Fault::Error {
            status: 500,
            code: "InternalError",
        },
    });
    let failed = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(failed.is_err(), "the invocation fails so Lambda retries it");
    w.proxy.heal();
    let retry = w
        .handler
        .handle(s3_event(&[&key("a")]))
        .await
        .expect("retry");
    assert_eq!(
        retry.summary.already_alerted, 10,
        "the first batch went out before"
    );
    assert_eq!(event_ids(&received(&w).await), expected("a", 25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_invocations_for_one_object_deliver_each_alert_once() {
    let w = world(vec![("a", delivery("a", 40))], RULE).await;
    let (one, two) = tokio::join!(
        w.handler.handle(s3_event(&[&key("a")])),
        w.handler.handle(s3_event(&[&key("a")]))
    );
    let results = [one, two];
    // One that met the other's claims is retryable; its retry finds them delivered.
    for r in &results {
        if r.is_err() {
            w.handler
                .handle(s3_event(&[&key("a")]))
                .await
                .expect("the retry succeeds");
        }
    }
    assert_eq!(event_ids(&received(&w).await), expected("a", 40));
}

const SUPPRESSED: &str =
    "title: Reboot by one principal\nid: 6b0d1c2e-0000-4000-8000-00000000f418\n\
    level: high\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  selection:\n    \
    eventName: RebootInstance\n  condition: selection\n\
    suppress: {by: [userIdentity.arn], for: 1h}\n";

/// `n` reboots by one principal from `minute` past 03:00 on 2026-11-25 (plus `hours`).
fn reboots(prefix: &str, n: usize, hours: u32, minute: u32) -> Vec<u8> {
    use std::io::Write;
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"eventName": "RebootInstance", "eventID": format!("{prefix}-{i:02}"),
                   "eventTime": format!("2026-11-25T{:02}:{minute:02}:{:02}Z", 3 + hours, i % 60),
                   "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ci"}})
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .unwrap();
    gz.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppress_sends_two_of_thirty_six_and_the_second_counts_thirty_four() {
    let files = vec![
        ("one", reboots("one", 30, 0, 1)),
        ("two", reboots("two", 5, 0, 20)),
        ("three", reboots("three", 1, 2, 0)),
    ];
    let w = world(files, SUPPRESSED).await;
    let mut suppressed = 0;
    for name in ["one", "two", "three"] {
        let r = w.handler.handle(s3_event(&[&key(name)])).await.expect(name);
        suppressed += r.summary.suppressed;
    }
    let alerts = received(&w).await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    let mut said: Vec<Value> = alerts.iter().map(|a| a["suppressed"].clone()).collect();
    said.sort_by_key(|v| v.as_u64());
    assert_eq!(said, [json!(0), json!(34)]);
    assert_eq!(suppressed, 34);
    // Every item the runs wrote carries the TTL attribute.
    let items = support::state_items(&w.dynamodb, TABLE).await;
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i.get("expires_at").is_some_and(|v| v.as_n().is_ok())),
        "{items:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_table_down_alerts_still_go_out_and_the_object_is_retried() {
    let w = world(vec![("a", delivery("a", 5))], RULE).await;
    w.proxy.plan(Plan {
        needle: DYNAMODB,
        pass: 0,
        times: 1000,
        fault: Fault::Error {
            status: 503,
            code: "ServiceUnavailable",
        },
    });
    let err = w
        .handler
        .handle(s3_event(&[&key("a")]))
        .await
        .expect_err("not acknowledged as clean");
    let text = err.to_string();
    assert!(text.contains("state table unavailable"), "{text}");
    assert!(text.contains("\"state_unavailable\":"), "{text}");
    assert!(!text.contains("\"state_unavailable\":0"), "{text}");
    assert_eq!(event_ids(&received(&w).await), expected("a", 5));
}
