//! `trailwatch rules diff OLD NEW --against PATH`: a narrower rule shows the alerts it loses, a
//! new rule the alerts it adds, an unchanged set no change.
#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

const WIDE: &str = "title: Users or keys deleted
id: 6a1f0e2b-3c4d-4e5f-8a9b-0c1d2e3f4a51
status: test
level: medium
logsource:
  product: aws
  service: iam
detection:
  selection:
    eventName:
      - DeleteUser
      - DeleteAccessKey
  condition: selection
";

const NEW_RULE: &str = "title: Users created
id: 7b2a1f3c-4d5e-4f6a-9b0c-1d2e3f4a5b62
status: test
level: low
logsource:
  product: aws
  service: iam
detection:
  selection:
    eventName: CreateUser
  condition: selection
";

fn record(i: usize, name: &str) -> Value {
    json!({"eventVersion": "1.09", "eventSource": "iam.amazonaws.com", "eventName": name,
           "eventID": format!("0d7c1c84-0000-4000-8000-{i:012}"),
           "eventTime": format!("2026-11-24T10:{:02}:00Z", i % 60),
           "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
           "eventCategory": "Management",
           "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops"}})
}

fn write_rules(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, body) in files {
        std::fs::write(dir.join(name), body).expect("write rule");
    }
}

/// Five DeleteUser, four DeleteAccessKey, two CreateUser, over two files.
fn history(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let names = [
        "DeleteUser",
        "DeleteAccessKey",
        "DeleteUser",
        "CreateUser",
        "DeleteAccessKey",
        "DeleteUser",
    ];
    let first: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| record(i, n))
        .collect();
    let second: Vec<Value> = [
        "DeleteUser",
        "DeleteAccessKey",
        "DeleteUser",
        "CreateUser",
        "DeleteAccessKey",
    ]
    .iter()
    .enumerate()
    .map(|(i, n)| record(100 + i, n))
    .collect();
    for (name, records) in [("1.json", first), ("2.json", second)] {
        let body = json!({ "Records": records }).to_string();
        std::fs::write(dir.join(name), body).expect("write trail file");
    }
}

fn diff(old: &Path, new: &Path, trail: &Path) -> Output {
    Command::new(cli::bin())
        .args(["rules", "diff"])
        .args([old, new])
        .arg("--against")
        .arg(trail)
        .env_remove("MAX_RULES")
        .output()
        .expect("trailwatch runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn narrower_rule_shows_removed_alerts_and_new_rule_added_ones() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (old, new, trail) = (
        tmp.path().join("old"),
        tmp.path().join("new"),
        tmp.path().join("trail"),
    );
    history(&trail);
    write_rules(&old, &[("wide.yml", WIDE)]);
    let narrow = WIDE.replace("      - DeleteAccessKey\n", "");
    write_rules(&new, &[("wide.yml", &narrow), ("created.yml", NEW_RULE)]);
    let out = diff(&old, &new, &trail);
    let stdout = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "~ 6a1f0e2b-3c4d-4e5f-8a9b-0c1d2e3f4a51 (Users or keys deleted): +0 added, -4 removed, 5 unchanged"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "~ 7b2a1f3c-4d5e-4f6a-9b0c-1d2e3f4a5b62 (Users created): +2 added, -0 removed, 0 unchanged"
        ),
        "{stdout}"
    );
    // Up to three examples of each change, each naming its call.
    let removed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("    - ")).collect();
    assert_eq!(removed.len(), 3, "{stdout}");
    assert!(
        removed.iter().all(|l| l.contains("DeleteAccessKey")),
        "{stdout}"
    );
    let added: Vec<&str> = stdout.lines().filter(|l| l.starts_with("    + ")).collect();
    assert_eq!(added.len(), 2, "{stdout}");
    assert!(added.iter().all(|l| l.contains("CreateUser")), "{stdout}");
    assert!(
        stdout.contains(
            "2 rules changed: +2 added, -4 removed, 5 unchanged over 2 objects, 11 events"
        ),
        "{stdout}"
    );
}

#[test]
fn an_unchanged_set_shows_no_change() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (rules, trail) = (tmp.path().join("rules"), tmp.path().join("trail"));
    history(&trail);
    write_rules(&rules, &[("wide.yml", WIDE), ("created.yml", NEW_RULE)]);
    let out = diff(&rules, &rules, &trail);
    let stdout = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.lines().any(|l| l.starts_with('~')), "{stdout}");
    assert!(
        stdout.contains("no change: 11 alerts from 2 rules unchanged over 2 objects, 11 events"),
        "{stdout}"
    );
}
