//! `trailwatch scan` over a day of two regions' trail files, listed region-major (eu-west-1's
//! whole day before us-east-1's), with one file delivered 40 minutes late and one delivered
//! twice under another key: the correlation alerts of one pass over the records in event-time
//! order, none of them late. The day is described in `support/backfill_day.rs`.
#[path = "support/cli.rs"]
mod cli;

#[path = "support/backfill_day.rs"]
mod day;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn scan(target: &Path, concurrency: &str) -> Output {
    let out = Command::new(cli::bin())
        .args([
            "scan",
            "--format",
            "json",
            "--concurrency",
            concurrency,
            "--rules",
        ])
        .arg(env!("CARGO_MANIFEST_DIR").to_owned() + "/" + day::RULES)
        .arg(target)
        .env_remove("CORRELATION_LATENESS")
        .output()
        .expect("trailwatch runs");
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The correlation alerts printed, in event-time order (of the moment each fired).
fn alerts(out: &Output) -> Vec<(String, String, String, String, f64)> {
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut alerts = day::alerts(&lines);
    alerts.sort_by(|a, b| (&a.3, &a.0, &a.1).cmp(&(&b.3, &b.0, &b.1)));
    alerts
}

/// The day's files under `dir`, as CloudTrail lays them out.
fn lay_out(dir: &Path) {
    for (key, records) in day::files() {
        let path = dir.join(&key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, day::gz(&records)).expect("write");
    }
}

#[test]
fn a_region_major_day_alerts_like_one_pass_in_event_time_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    lay_out(dir.path());
    let pass = dir.path().join("one-pass.json.gz");
    std::fs::write(&pass, day::gz(&day::one_pass())).expect("write");

    let one = alerts(&scan(&pass, "1"));
    let who: Vec<(String, String)> = one.iter().map(|a| (a.0.clone(), a.1.clone())).collect();
    assert_eq!(who, day::expected(), "one pass: {one:#?}");

    let prefix = dir.path().join("AWSLogs");
    let out = scan(&prefix, "1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("too late"),
        "no record is late in a region-major listing: {stderr}"
    );
    assert_eq!(alerts(&out), one, "the prefix, file by file\n{stderr}");
    // Files at once: the same alerts.
    let four = scan(&prefix, "4");
    let stderr = String::from_utf8_lossy(&four.stderr);
    assert_eq!(alerts(&four), one, "four files at once\n{stderr}");
}

/// Live delivery keeps the wall clock: through the handler, a file named by an S3 notification
/// whose records are older than the timespan plus `CORRELATION_LATENESS` counts them late;
/// the same file as an S3 Batch Operations task counts them and alerts.
#[tokio::test]
async fn live_delivery_counts_old_records_late_and_a_batch_task_does_not() {
    use std::sync::Arc;
    use trailwatch::config::Settings;
    use trailwatch::deliver::MemoryDeliver;
    use trailwatch::fetch::{MemoryFetch, ObjectRef};
    use trailwatch::handler::Handler;
    use trailwatch::rules::RuleSet;
    use trailwatch::rules_source::RuleStore;

    let rules = RuleSet::builder()
        .paths(&[std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(day::RULES)])
        .tests(false)
        .build()
        .expect("rules");
    let rules = Arc::new(rules);
    // The `burst-east` file: six denied calls (and one other input) on 2026-11-25, long before now.
    let (key, records) = day::files()
        .into_iter()
        .find(|(k, _)| k.contains("us-east-1_20261125T1005Z"))
        .expect("the 10:05 file");
    let fetch = Arc::new(MemoryFetch::new());
    let object = ObjectRef::S3 {
        bucket: "trail".into(),
        key: key.clone(),
    };
    fetch.put(&object, day::gz(&records));
    let run = |payload: serde_json::Value| {
        let deliver = Arc::new(MemoryDeliver::new());
        let settings = Settings::new("arn:aws:sns:us-east-1:111122223333:t", Arc::clone(&rules));
        let handler = Handler::new(
            fetch.clone(),
            deliver.clone(),
            RuleStore::fixed(Arc::clone(&rules)),
            &settings,
        );
        async move {
            let r = handler.handle(payload).await.expect("handled");
            (r.summary, deliver.messages().len())
        }
    };
    let notification = serde_json::json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-25T10:06:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "trail", "arn": "arn:aws:s3:::trail"},
               "object": {"key": key, "size": 1024}}}]});
    let (live, sent) = run(notification).await;
    // The six denied calls, `ops`' denied call and `slow`'s login fetch.
    assert_eq!(live.correlation_late, 8, "{live:#?}");
    assert_eq!((live.correlation_alerts, sent), (0, 0), "{live:#?}");

    let task = serde_json::json!({
        "invocationSchemaVersion": "2.0", "invocationId": "aW52",
        "job": {"id": "j", "userArguments": {}},
        "tasks": [{"taskId": "dGFza1", "s3Key": key, "s3VersionId": null, "s3Bucket": "trail"}]
    });
    let (batch, sent) = run(task).await;
    assert_eq!(batch.correlation_late, 0, "{batch:#?}");
    assert_eq!((batch.correlation_alerts, sent), (1, 1), "{batch:#?}");
}
