//! The day of `support/backfill_day.rs` through the Lambda's handler as an S3 Batch Operations
//! job would send it: one task (key) per invocation, in shuffled order, two invocations at a
//! time on two function instances, with the DynamoDB state table, S3 and SNS on moto. Batch
//! Operations name only old objects, so the handler judges their correlations by event time
//! alone: the day raises the alerts of one pass, each once, and no record is late, although
//! every record is far older than the timespan plus `CORRELATION_LATENESS` by the wall clock.
#[path = "support/backfill_day.rs"]
mod day;
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use support::{Aws, Moto};
use trailwatch::config::Settings;
use trailwatch::handler::{Handler, ItemStatus};
use trailwatch::rules::RuleSet;

const TABLE: &str = "trailwatch-state";
const BUCKET: &str = "trailwatch-e2e-backfill";
/// Batch Operations retries a `TemporaryFailure` task (a claim another instance holds).
const ATTEMPTS: usize = 8;

/// One Batch Operations invocation (schema 2.0, as `events/batch-2.0.json`) naming `key`.
fn batch_task(n: usize, key: &str) -> Value {
    json!({
        "invocationSchemaVersion": "2.0",
        "invocationId": format!("aW52b2NhdGlvbi{n}"),
        "job": {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", "userArguments": {}},
        "tasks": [{"taskId": format!("dGFza{n}"), "s3Key": key, "s3VersionId": null,
                   "s3Bucket": BUCKET}]
    })
}

/// `n` shuffled by a fixed linear congruential sequence.
fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut rng = seed;
    for i in (1..v.len()).rev() {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (rng >> 33) as usize % (i + 1));
    }
    v
}

/// Takes tasks from `queue` until it is empty, each through `handler` until it succeeds; the
/// summaries of every attempt.
async fn worker(handler: &Handler, queue: &Mutex<Vec<(usize, String)>>) -> Vec<Value> {
    let mut summaries = Vec::new();
    loop {
        let Some((n, key)) = queue.lock().expect("queue").pop() else {
            return summaries;
        };
        let payload = batch_task(n, &key);
        let mut done = false;
        for _ in 0..ATTEMPTS {
            let response = handler
                .handle(payload.clone())
                .await
                .expect("a Batch response");
            summaries.push(serde_json::to_value(&response.summary).expect("summary"));
            match &response.items[0].1 {
                ItemStatus::Succeeded => {
                    done = true;
                    break;
                }
                ItemStatus::Temporary(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                ItemStatus::Permanent(why) => panic!("{key}: {why}"),
            }
        }
        assert!(done, "{key} kept failing: {summaries:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shuffled_batch_operations_backfill_alerts_like_one_pass_each_once() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let aws = Aws::new(&sdk);
    aws.create_bucket(BUCKET).await;
    let topic = aws.create_topic("trailwatch-alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts-raw", true, None).await;
    let dynamo = moto.create_state_table(TABLE).await;
    let rules = RuleSet::builder()
        .paths(&[support::repo_path(day::RULES)])
        .tests(false)
        .build()
        .expect("the fixture rules load");
    let rules = Arc::new(rules);
    let files = day::files();
    for (key, records) in &files {
        aws.put_object(BUCKET, key, day::gz(records)).await;
    }
    let tasks = shuffled(
        files.iter().map(|(k, _)| k.clone()).enumerate().collect(),
        0x5eed,
    );
    let tasks = Mutex::new(tasks);
    let instance = || {
        let mut settings = Settings::new(&topic, Arc::clone(&rules));
        settings.state_table = Some(TABLE.into());
        Handler::aws(&sdk, settings)
    };
    let (a, b) = (instance(), instance());
    let (mut summaries, more) = tokio::join!(worker(&a, &tasks), worker(&b, &tasks));
    summaries.extend(more);

    let late: u64 = summaries
        .iter()
        .map(|s| s["correlation_late"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(late, 0, "no record of a backfill is late");
    let bodies: Vec<Value> = aws
        .receive_all(&queue, Duration::from_secs(5))
        .await
        .iter()
        .filter_map(|m| serde_json::from_str(m.body().unwrap_or_default()).ok())
        .collect();
    let mut got = day::alerts(&bodies);
    got.sort_by(|x, y| x.3.cmp(&y.3));
    let who: Vec<(String, String)> = got.iter().map(|a| (a.0.clone(), a.1.clone())).collect();
    assert_eq!(who, day::expected(), "each expected alert once: {got:#?}");
    let when: Vec<(&str, f64)> = got.iter().map(|a| (a.3.as_str(), a.4)).collect();
    assert_eq!(
        when,
        [
            ("2026-11-25T10:03:10Z", 5.0),
            ("2026-11-25T12:11:00Z", 2.0),
            ("2026-11-25T14:07:00Z", 5.0)
        ],
        "fired where one pass fires: {got:#?}"
    );
    let sent: u64 = summaries
        .iter()
        .map(|s| s["correlation_alerts"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(sent, 3, "the invocations' summaries count each alert once");

    // What the backfill left in the table: correlation items kept past the wall clock for the
    // state's retention (STATE_RETENTION_DAYS), not for timespan + lateness of their old
    // records, so a key that comes late in the job still finds its group.
    let items = support::state_items(&dynamo, TABLE).await;
    let correlation: Vec<_> = items
        .iter()
        .filter(|i| {
            i.get("pk")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|p| p.starts_with("corr#"))
        })
        .collect();
    let fired = correlation
        .iter()
        .filter(|i| {
            i.get("sk")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|s| s == "fired")
        })
        .count();
    let now = chrono::Utc::now().timestamp();
    let soonest = correlation
        .iter()
        .filter_map(|i| i.get("expires_at")?.as_n().ok()?.parse::<i64>().ok())
        .min()
        .expect("correlation items have a TTL");
    eprintln!(
        "state items: {} in all, {} of correlation ({} slices, {fired} firings), for {} files of {} records",
        items.len(),
        correlation.len(),
        correlation.len() - fired,
        files.len(),
        files.iter().map(|(_, r)| r.len()).sum::<usize>()
    );
    assert_eq!(fired, 3, "one firings item per group that fired");
    assert!(
        soonest >= now + 29 * 86_400,
        "correlation items expire {} days from now",
        (soonest - now) / 86_400
    );
}
