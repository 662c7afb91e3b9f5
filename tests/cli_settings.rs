//! `trailwatch scan` reads the function's settings from the same variables: with `--state` on a
//! table that cannot be reached, `STATE_UNAVAILABLE` decides whether single-record alerts are
//! printed anyway (`deliver`, the default) or held back (`fail`), exactly as in the Lambda.
#[path = "support/cli.rs"]
mod cli;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

const RULE: &str = "title: Root reboots an instance
id: 0c2b7f8e-1d7a-4c55-9a6e-5b7c1c0d0001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventName: RebootInstance
    userIdentity.type: Root
  condition: sel
";

fn trail(dir: &Path) {
    let record = json!({"eventVersion": "1.09", "eventSource": "lightsail.amazonaws.com",
        "eventName": "RebootInstance", "eventID": "reboot-1", "eventTime": "2026-11-25T10:00:00Z",
        "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
        "sourceIPAddress": "203.0.113.7",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}});
    let body = json!({ "Records": [record] }).to_string();
    std::fs::write(dir.join("trail.json"), body).expect("write trail file");
}

/// Runs scan with `--state` on the DynamoDB endpoint `endpoint`.
fn scan(dir: &Path, unavailable: Option<&str>, endpoint: &str) -> Output {
    let mut cmd = Command::new(cli::bin());
    cmd.args([
        "scan",
        "--format",
        "json",
        "--state",
        "dynamodb://trailwatch-state",
    ])
    .arg("--rules")
    .arg(dir.join("rule.yml"))
    .arg(dir.join("trail.json"))
    .env("AWS_ENDPOINT_URL", endpoint)
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", "test")
    .env("AWS_SECRET_ACCESS_KEY", "test")
    .env_remove("STATE_UNAVAILABLE")
    .env_remove("RUST_LOG");
    if let Some(v) = unavailable {
        cmd.env("STATE_UNAVAILABLE", v);
    }
    cmd.output().expect("trailwatch runs")
}

fn alerts(out: &Output) -> usize {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("reboot-1"))
        .count()
}

#[test]
fn state_unavailable_decides_what_scan_prints_when_the_table_is_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rule.yml"), RULE).expect("write rule");
    trail(dir.path());
    // A table that is down: a listener this test holds for the whole run (so no other server
    // can answer on its port) that closes every connection unanswered.
    let down = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", down.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in down.incoming() {
            drop(conn);
        }
    });

    let deliver = scan(dir.path(), None, &endpoint);
    let stderr = String::from_utf8_lossy(&deliver.stderr);
    assert_eq!(
        alerts(&deliver),
        1,
        "default (deliver) prints the alert: {stderr}"
    );
    assert_eq!(
        deliver.status.code(),
        Some(1),
        "not clean without the table: {stderr}"
    );

    let fail = scan(dir.path(), Some("fail"), &endpoint);
    let stderr = String::from_utf8_lossy(&fail.stderr);
    assert_eq!(
        alerts(&fail),
        0,
        "STATE_UNAVAILABLE=fail holds the alert back: {stderr}"
    );
    assert_eq!(fail.status.code(), Some(1), "{stderr}");

    let bad = scan(dir.path(), Some("sometimes"), &endpoint);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("STATE_UNAVAILABLE"), "{stderr}");
}
