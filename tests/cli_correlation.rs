//! `trailwatch scan` with correlation rules: event time judges lateness by what was read before
//! each file, so one file spanning days counts every record, and a later file whose records
//! are older than the lateness allows is counted as late, not silently.
#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

const RULES: &str = "title: Lightsail read
id: 6a1f0c52-7d7e-4d0b-9a57-0c3f1f6a0001
name: ls_read
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: lightsail.amazonaws.com
  condition: sel
---
title: Lightsail read burst
id: 6a1f0c52-7d7e-4d0b-9a57-0c3f1f6a0002
level: medium
correlation:
  type: event_count
  rules: [ls_read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 3
";

fn record(id: &str, time: &str, who: &str) -> Value {
    json!({"eventVersion": "1.09", "eventSource": "lightsail.amazonaws.com",
           "eventName": "GetInstances", "eventID": id, "eventTime": time,
           "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
           "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{who}")}})
}

fn write(dir: &Path, name: &str, records: &[Value]) {
    let body = json!({ "Records": records }).to_string();
    std::fs::write(dir.join(name), body).expect("write trail file");
}

fn scan(dir: &Path, rules: &Path) -> Output {
    Command::new(cli::bin())
        .args(["scan", "--format", "json", "--concurrency", "1", "--rules"])
        .arg(rules)
        .arg(dir)
        .output()
        .expect("trailwatch runs")
}

fn correlation_groups(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            v["correlation"]["group"]["userIdentity.arn"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn one_file_spanning_days_counts_its_first_burst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("burst.yml");
    std::fs::write(&rules, RULES).expect("write rules");
    let trail = dir.path().join("trail");
    std::fs::create_dir(&trail).expect("mkdir");
    // A burst on day one, then a lone record three days later in the same file.
    write(
        &trail,
        "export.json",
        &[
            record("a1", "2026-03-01T10:00:00Z", "early"),
            record("a2", "2026-03-01T10:01:00Z", "early"),
            record("a3", "2026-03-01T10:02:00Z", "early"),
            record("b1", "2026-03-04T10:00:00Z", "late"),
        ],
    );
    let out = scan(&trail, &rules);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        correlation_groups(&out),
        vec!["arn:aws:iam::111122223333:user/early".to_owned()]
    );
}

#[test]
fn a_file_older_than_the_lateness_allows_is_counted_late_and_said() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("burst.yml");
    std::fs::write(&rules, RULES).expect("write rules");
    let trail = dir.path().join("trail");
    std::fs::create_dir(&trail).expect("mkdir");
    // Read in name order with one worker: the newer file first, then one a day older.
    write(
        &trail,
        "1-new.json",
        &[record("n1", "2026-03-02T10:00:00Z", "new")],
    );
    write(
        &trail,
        "2-old.json",
        &[
            record("o1", "2026-03-01T10:00:00Z", "old"),
            record("o2", "2026-03-01T10:01:00Z", "old"),
            record("o3", "2026-03-01T10:02:00Z", "old"),
        ],
    );
    let out = scan(&trail, &rules);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(correlation_groups(&out).is_empty());
    assert!(
        err.contains("3 records too late for their window (CORRELATION_LATENESS)"),
        "{err}"
    );
    // With the lateness raised past the gap, the same files fire.
    let out = Command::new(cli::bin())
        .args(["scan", "--format", "json", "--concurrency", "1", "--rules"])
        .arg(&rules)
        .arg(&trail)
        .env("CORRELATION_LATENESS", "2d")
        .output()
        .expect("trailwatch runs");
    assert_eq!(
        correlation_groups(&out),
        vec!["arn:aws:iam::111122223333:user/old".to_owned()]
    );
}
