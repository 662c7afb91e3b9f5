//! Hostile object content, end to end through the pipeline: each file SECURITY.md lists gives
//! its documented result, never a panic or a hang, and the other objects of the same invocation
//! are still scanned. Every hostile file is generated here; nothing large is committed.

#[path = "support/cli.rs"]
mod cli;

use std::io::Write;
use std::sync::Arc;

use flate2::write::GzEncoder;
use trailwatch::decode::{self, DecodeError, LimitExceeded, Limits};
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::MemoryFetch;
use trailwatch::pipeline::{self, Pipeline, Summary};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::ObjectRef;

/// The eventIDs of every alert delivered, sorted.
fn event_ids(deliver: &MemoryDeliver) -> Vec<String> {
    let mut ids: Vec<String> = deliver
        .messages()
        .into_iter()
        .map(|m| m.event_id.unwrap_or_else(|| "?".into()))
        .collect();
    ids.sort();
    ids
}

/// The bundled rule for a root `RebootInstance`.
const REBOOT_RULE: &str = "rules/lightsail/root-reboot-instance.yml";

/// Alerts on every record named `Hit`, and on a root `RebootInstance` (the bundled rule).
fn rules() -> Arc<RuleSet> {
    let rule = "title: Hit\nid: 00000000-0000-4000-8000-000000000001\nlevel: high\n\
                logsource: {product: aws, service: cloudtrail}\n\
                detection:\n  selection:\n    eventName: Hit\n  condition: selection\n";
    let reboot = std::fs::read_to_string(REBOOT_RULE).expect("the bundled rule");
    let sources = [
        ("hit.yml".into(), rule.into()),
        (REBOOT_RULE.into(), reboot),
    ];
    Arc::new(RuleSet::from_sources(&sources).expect("rules compile"))
}

/// A root `RebootInstance` whose `requestParameters` nest 100,000 levels deep.
fn deep_reboot(id: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"Root","principalId":"123456789012",
        "arn":"arn:aws:iam::123456789012:root","accountId":"123456789012"}},
        "eventTime":"2026-11-25T10:02:11Z","eventSource":"lightsail.amazonaws.com",
        "eventName":"RebootInstance","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.24",
        "requestParameters":{},"eventID":"{id}","eventType":"AwsApiCall"}}"#,
        nested(100_000, r#"{"instanceName":"#, r#""web-1""#, "}")
    )
}

fn hit(id: &str) -> String {
    format!(r#"{{"eventName":"Hit","eventID":"{id}"}}"#)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A good delivery, scanned alongside each hostile one.
fn good() -> Vec<u8> {
    gzip(format!(r#"{{"Records":[{}]}}"#, hit("good")).as_bytes())
}

/// 1 GiB of small records once inflated, about 1 MB compressed: one gzip member of 1 MiB of
/// records, repeated (CloudTrail files may hold several members, so the decoder reads them all).
fn gzip_bomb() -> Vec<u8> {
    let mut chunk = String::with_capacity(1 << 20);
    while chunk.len() < (1 << 20) - 32 {
        chunk.push_str(r#"{"eventName":"x"},"#);
    }
    let member = gzip(chunk.as_bytes());
    let mut bomb = gzip(br#"{"Records":["#);
    for _ in 0..1024 {
        bomb.extend_from_slice(&member);
    }
    bomb
}

fn nested(depth: usize, open: &str, inner: &str, close: &str) -> String {
    let mut s = String::with_capacity(depth * (open.len() + close.len()) + inner.len());
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(inner);
    for _ in 0..depth {
        s.push_str(close);
    }
    s
}

struct Run {
    summary: Summary,
    alerts: Arc<MemoryDeliver>,
}

impl Run {
    fn error(&self, key: &str) -> &trailwatch::pipeline::Failed {
        self.summary
            .failed
            .iter()
            .find(|f| f.object.ends_with(&format!("/{key}")))
            .unwrap_or_else(|| panic!("{key} did not fail: {:?}", self.summary))
    }
}

/// Scans the named objects, in order, in one pipeline run with `limits`.
async fn run_objects(objects: Vec<(&str, Vec<u8>)>, limits: Limits) -> Run {
    let refs: Vec<ObjectRef> = objects
        .iter()
        .map(|(k, _)| ObjectRef::S3 {
            bucket: "trail".into(),
            key: k.to_string(),
        })
        .collect();
    let store = MemoryFetch::new();
    for (object, (_, bytes)) in refs.iter().zip(objects) {
        store.put(object, bytes);
    }
    let alerts = Arc::new(MemoryDeliver::new());
    let settings = pipeline::Settings {
        limits,
        concurrency: 2,
        plan: PlanSettings {
            every_match: true,
            form: Form::Json,
            ..PlanSettings::default()
        },
        ..pipeline::Settings::default()
    };
    let pipeline = Pipeline::new(Arc::new(store), alerts.clone(), rules(), settings);
    let summary = pipeline.summarise(&refs).await;
    Run { summary, alerts }
}

/// Scans `hostile` then `good.json.gz` in one run, with `limits`.
async fn scan_with(hostile: Vec<u8>, limits: Limits) -> Run {
    let run = run_objects(
        vec![("hostile.json.gz", hostile), ("good.json.gz", good())],
        limits,
    )
    .await;
    assert!(
        event_ids(&run.alerts).contains(&"good".to_string()),
        "the good object was still scanned: {:?}",
        run.summary
    );
    assert!(
        !run.summary
            .failed
            .iter()
            .any(|f| f.object.ends_with("/good.json.gz")),
        "{:?}",
        run.summary.failed
    );
    run
}

async fn scan(hostile: Vec<u8>) -> Run {
    scan_with(hostile, Limits::default()).await
}

#[tokio::test]
async fn corrupt_gzip_fails_permanently_and_the_next_object_is_scanned() {
    let mut bytes = gzip(
        format!(r#"{{"Records":[{}]}}"#, hit("a"))
            .repeat(50)
            .as_bytes(),
    );
    let mid = bytes.len() / 2;
    bytes[mid..mid + 8].copy_from_slice(b"garbage!");
    let run = scan(bytes).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable, "{failed:?}");
    assert!(
        failed.error.contains("s3://trail/hostile.json.gz"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn truncated_gzip_keeps_the_records_before_the_cut() {
    let records: Vec<String> = (0..2000).map(|i| hit(&format!("t{i}"))).collect();
    let whole = gzip(format!(r#"{{"Records":[{}]}}"#, records.join(",")).as_bytes());
    let run = scan(whole[..whole.len() / 2].to_vec()).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable, "a cut file stays cut: {failed:?}");
    let before = event_ids(&run.alerts).len() - 1;
    assert!(before > 0, "records before the cut alerted");
}

#[tokio::test]
async fn non_json_is_a_permanent_error_naming_the_position() {
    let run = scan(gzip(b"<html>Access Denied</html>")).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable);
    assert!(failed.error.contains("line 1 column 1"), "{failed:?}");
}

#[tokio::test]
async fn a_top_level_array_of_records_is_accepted_as_event_history_exports_write_it() {
    let run = scan(gzip(format!("[{},{}]", hit("a1"), hit("a2")).as_bytes())).await;
    assert!(run.summary.failed.is_empty(), "{:?}", run.summary.failed);
    assert_eq!(event_ids(&run.alerts), ["a1", "a2", "good"]);
}

#[tokio::test]
async fn records_that_is_not_an_array_is_a_permanent_error() {
    let run = scan(gzip(format!(r#"{{"Records":{}}}"#, hit("r")).as_bytes())).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable);
    assert!(
        failed.error.contains("Records to be an array"),
        "{failed:?}"
    );
    assert_eq!(event_ids(&run.alerts), ["good"]);
}

#[tokio::test]
async fn gzip_bomb_stops_at_the_decompressed_cap_naming_object_and_cap() {
    let bomb = gzip_bomb();
    assert!(
        bomb.len() < 8 << 20,
        "bomb is {} bytes compressed",
        bomb.len()
    );
    let limits = Limits {
        max_object_bytes: 4 << 20,
        ..Limits::default()
    };
    let run = scan_with(bomb, limits).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable, "a bomb stays a bomb: {failed:?}");
    assert!(
        failed.error.contains("s3://trail/hostile.json.gz")
            && failed.error.contains("4194304 byte limit")
            && failed.error.contains("MAX_OBJECT_BYTES"),
        "{}",
        failed.error
    );
    let events = run.summary.events - 1;
    assert!(
        events > 100_000 && events < 300_000,
        "stopped near 4 MiB: {events} records"
    );
}

#[test]
fn a_record_nested_deep_at_the_top_level_is_cut_and_broken_deep_text_is_a_clean_error() {
    // One NDJSON record 100,000 levels deep: handed on with the levels below 100 cut.
    let text = nested(100_000, r#"{"a":"#, "1", "}");
    let mut records = Vec::new();
    decode::records(text.as_bytes(), |r| records.push(r.to_string())).unwrap();
    assert_eq!(records.len(), 1);
    let record: serde_json::Value = serde_json::from_str(&records[0]).expect("builds");
    let mut v = &record;
    for _ in 1..decode::MAX_KEPT_DEPTH {
        v = &v["a"];
    }
    assert_eq!(v["a"], decode::DEEP_MARKER);
    // The same depth, never closed, is an error, not a crash.
    let text = nested(100_000, r#"{"a":"#, "1", "");
    let err = decode::records(text.as_bytes(), |_| {}).unwrap_err();
    assert!(matches!(err, DecodeError::Json(_)), "{err}");
}

#[tokio::test]
async fn a_deep_root_reboot_alerts_with_the_marker_next_to_a_good_object() {
    let text = format!(
        r#"{{"Records":[{},{},{}]}}"#,
        hit("before"),
        deep_reboot("deep-reboot"),
        hit("after")
    );
    let run = scan(gzip(text.as_bytes())).await;
    assert!(run.summary.failed.is_empty(), "{:?}", run.summary.failed);
    assert_eq!(run.summary.events, 4);
    assert_eq!(run.summary.records_unreadable, 0, "{:?}", run.summary);
    assert_eq!(
        event_ids(&run.alerts),
        ["after", "before", "deep-reboot", "good"]
    );
    let alert = run
        .alerts
        .messages()
        .into_iter()
        .find(|m| m.event_id.as_deref() == Some("deep-reboot"))
        .expect("the deep record alerted");
    assert_eq!(alert.rule_id, "18fbf2c1-1924-41e9-99da-7b544349aa37");
    let body: serde_json::Value = serde_json::from_str(&alert.body).expect("alert JSON builds");
    let mut v = &body["event"]["requestParameters"];
    for _ in 2..decode::MAX_KEPT_DEPTH {
        v = &v["instanceName"];
    }
    assert_eq!(v["instanceName"], decode::DEEP_MARKER, "{v}");
    // The same record as NDJSON, the way log shippers write it, alerts the same way.
    let run = scan(gzip(
        format!("{}\n{}\n", hit("a"), deep_reboot("ndjson")).as_bytes(),
    ))
    .await;
    assert!(run.summary.failed.is_empty(), "{:?}", run.summary.failed);
    assert_eq!(event_ids(&run.alerts), ["a", "good", "ndjson"]);
}

#[tokio::test]
async fn a_record_the_rules_cannot_judge_is_counted_and_named() {
    // The rules read `eventName`: cut, it cannot be judged. Not an object: nothing to judge.
    let deep = nested(100_000, "[", "1", "]");
    let text = format!(
        r#"{{"Records":[{},{{"eventName":{deep},"eventID":"deep-name"}},{deep},{}]}}"#,
        hit("before"),
        hit("after")
    );
    let run = scan(gzip(text.as_bytes())).await;
    assert!(run.summary.failed.is_empty(), "{:?}", run.summary.failed);
    assert_eq!(run.summary.events, 5);
    assert_eq!(run.summary.records_unreadable, 2, "{:?}", run.summary);
    assert_eq!(event_ids(&run.alerts), ["after", "before", "good"]);
    let named: Vec<_> = run
        .summary
        .unreadable
        .iter()
        .map(|u| (u.object.as_str(), u.event_id.as_deref(), u.reason.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            (
                "s3://trail/hostile.json.gz",
                Some("deep-name"),
                "a field the rules read is nested deeper than 100 levels"
            ),
            (
                "s3://trail/hostile.json.gz",
                None,
                "the record is not a JSON object"
            ),
        ]
    );
}

#[test]
fn scan_alerts_on_the_deep_record_and_names_the_unreadable_one_without_rust_log() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"{{"Records":[{},{{"eventSource":"lightsail.amazonaws.com","eventName":{},
            "eventID":"cannot-judge"}}]}}"#,
        deep_reboot("deep-reboot"),
        nested(100_000, r#"{"a":"#, "1", "}")
    );
    let deep = dir.path().join("deep.json.gz");
    std::fs::write(&deep, gzip(text.as_bytes())).unwrap();
    std::fs::write(dir.path().join("good.json.gz"), good()).unwrap();
    let out = std::process::Command::new(cli::bin())
        .args(["scan", "--format", "json", "--rules", REBOOT_RULE])
        .arg(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("trailwatch scan runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let alerts: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one alert JSON per line"))
        .collect();
    assert_eq!(alerts.len(), 1, "{stdout}");
    assert_eq!(alerts[0]["event"]["eventID"], "deep-reboot");
    assert!(stdout.contains(decode::DEEP_MARKER), "{stdout}");
    let named = format!(
        "unreadable: {}: eventID cannot-judge: a field the rules read is nested deeper than 100 levels",
        deep.display()
    );
    assert!(stderr.lines().any(|l| l == named), "{stderr}");
    assert!(
        stderr.contains("2 objects, 3 events, 1 alerts, 0 digests, 1 unreadable"),
        "{stderr}"
    );
}

#[tokio::test]
async fn invalid_utf8_is_a_permanent_error_after_the_records_before_it() {
    let mut text = format!(r#"{{"Records":[{},{{"eventName":""#, hit("before")).into_bytes();
    text.extend_from_slice(b"\xff\xfe\"},");
    text.extend_from_slice(format!("{}]}}", hit("after")).as_bytes());
    let run = scan(gzip(&text)).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable, "{failed:?}");
    assert_eq!(event_ids(&run.alerts), ["before", "good"]);
}

#[tokio::test]
async fn a_50_mb_string_stops_at_the_record_cap() {
    let big = "A".repeat(50 << 20);
    let text = format!(
        r#"{{"Records":[{},{{"eventName":"Hit","eventID":"big","userAgent":"{big}"}},{}]}}"#,
        hit("before"),
        hit("after")
    );
    drop(big);
    let run = scan(text.into_bytes()).await;
    let failed = run.error("hostile.json.gz");
    assert!(!failed.retryable, "{failed:?}");
    assert!(
        failed
            .error
            .contains("16777216 byte limit (MAX_RECORD_BYTES)"),
        "{}",
        failed.error
    );
    assert_eq!(event_ids(&run.alerts), ["before", "good"]);
}

#[test]
fn the_record_cap_counts_per_record_not_per_object() {
    // Forty 1 MiB records pass a 2 MiB record cap: the count restarts at each record.
    let record = format!(r#"{{"eventName":"x","pad":"{}"}}"#, "p".repeat(1 << 20));
    let text = format!(r#"{{"Records":[{}]}}"#, vec![record; 40].join(","));
    let limits = Limits {
        max_record_bytes: 2 << 20,
        ..Limits::default()
    };
    let mut seen = 0;
    decode::records_with(gzip(text.as_bytes()).as_slice(), limits, |_| seen += 1).unwrap();
    assert_eq!(seen, 40);
    let limits = Limits {
        max_record_bytes: 512 << 10,
        ..Limits::default()
    };
    let err = decode::records_with(text.as_bytes(), limits, |_| {}).unwrap_err();
    assert!(
        matches!(err, DecodeError::Limit(LimitExceeded::Record { limit }) if limit == 512 << 10),
        "{err}"
    );
}

#[tokio::test]
async fn every_hostile_object_in_one_invocation_fails_alone() {
    let mut corrupt = good();
    let n = corrupt.len();
    corrupt[n - 12..n - 4].copy_from_slice(b"garbage!");
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("corrupt.json.gz", corrupt),
        ("bomb.json.gz", gzip_bomb()),
        ("html.json", b"<html>".to_vec()),
        (
            "deep.json",
            nested(100_000, r#"{"a":"#, "1", "").into_bytes(),
        ),
        ("good.json.gz", good()),
    ];
    let limits = Limits {
        max_object_bytes: 4 << 20,
        ..Limits::default()
    };
    let Run { summary, alerts } = run_objects(hostile, limits).await;
    assert_eq!(summary.objects, 5);
    assert_eq!(summary.failed.len(), 4, "{:?}", summary.failed);
    assert!(summary.failed.iter().all(|f| !f.retryable));
    assert_eq!(event_ids(&alerts), ["good"]);
}
