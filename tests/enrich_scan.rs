//! `trailwatch scan` with the enrich stage: rules match on `enrichment.*`, correlations group
//! by `enrichment.actor.name` (one role, many sessions, one group), the JSON alert carries the
//! enrichment, and a bad database stops the run naming the file. The data files are written
//! here: a country and an ASN database from the format's specification, and an accounts file.
#[path = "support/cli.rs"]
mod cli;
#[path = "support/enrich_trail.rs"]
mod enrich_trail;
#[path = "support/mmdb.rs"]
#[allow(dead_code)]
mod mmdb;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn setup(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trailwatch-enrich-scan-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/enrich-rules.yml"),
    )
    .unwrap();
    std::fs::write(dir.join("rules.yml"), rules).unwrap();
    std::fs::write(dir.join("accounts.csv"), "123456789012,prod-web\n").unwrap();
    std::fs::write(
        dir.join("country.mmdb"),
        mmdb::country_db(&[("203.0.113.0/24", "NL"), ("198.51.100.0/24", "BR")]),
    )
    .unwrap();
    std::fs::write(
        dir.join("asn.mmdb"),
        mmdb::asn_db(&[("198.51.100.0/24", 64501, "FarAwayNet")]),
    )
    .unwrap();
    let trail = enrich_trail::trail("2026-11-25T10:00:00Z");
    std::fs::write(dir.join("trail.json"), trail.to_string()).unwrap();
    dir
}

fn scan(dir: &Path, extra: &[&str]) -> Output {
    Command::new(cli::bin())
        .args(["scan", "--format", "json", "--every-match", "--rules"])
        .arg(dir.join("rules.yml"))
        .args(extra)
        .arg(dir.join("trail.json"))
        .env_remove("RUST_LOG")
        .output()
        .expect("scan runs")
}

#[test]
fn rules_match_and_group_on_the_enrichment_and_alerts_carry_it() {
    let dir = setup("ok");
    let country = dir.join("country.mmdb");
    let asn = dir.join("asn.mmdb");
    let accounts = dir.join("accounts.csv");
    let out = scan(
        &dir,
        &[
            "--country-db",
            country.to_str().unwrap(),
            "--asn-db",
            asn.to_str().unwrap(),
            "--accounts",
            accounts.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outside: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["rule"]["title"] == "Lightsail write from outside the Netherlands")
        .collect();
    assert_eq!(outside.len(), 1, "{stdout}");
    let event = &outside[0]["event"];
    assert_eq!(event["eventID"], "e2");
    assert!(
        event.get("enrichment").is_none(),
        "the event is as CloudTrail wrote it"
    );
    assert_eq!(
        outside[0]["enrichment"],
        json!({"actor": {"name": "arn:aws:iam::123456789012:role/deploy", "kind": "role",
                "session": "s-2", "account_name": "prod-web"},
            "account": {"name": "prod-web"},
            "source": {"kind": "public", "asn": 64501, "as_org": "FarAwayNet", "country": "BR"}})
    );
    let bursts = stdout
        .lines()
        .filter(|l| l.contains("whatever the session"))
        .count();
    assert_eq!(
        bursts, 1,
        "three sessions of one role are one group: {stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_country_database_the_country_rule_cannot_match_and_a_bad_one_is_named() {
    let dir = setup("bad");
    let out = scan(&dir, &[]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("outside the Netherlands"))
            .count(),
        2,
        "no country known: `not home` holds for both writes: {stdout}"
    );
    let bad = dir.join("bad.mmdb");
    std::fs::write(&bad, b"not a database").unwrap();
    let out = scan(&dir, &["--country-db", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.mmdb") && stderr.contains("MaxMind"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
