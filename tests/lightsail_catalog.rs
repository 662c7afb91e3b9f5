//! The Lightsail API catalog (catalog/lightsail.json, docs/lightsail-coverage.md) stays honest:
//! generated from the pinned botocore's model, every sensitive operation covered by a rule, and
//! each sensitive operation's record in tests/fixtures/lightsail-catalog/ alerting through `scan`.
#[path = "support/cli.rs"]
mod cli;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const SUCCESS: &str = "tests/fixtures/lightsail-catalog/success.json";
const DENIED: &str = "tests/fixtures/lightsail-catalog/denied.json";
/// `lightsail/access-denied-recon.yml`: the one rule that says a denied Lightsail call matters.
const DENIED_RULE: &str = "7d8c9ea4-c7e7-414e-9710-3b0b06f324e3";

fn catalog() -> Value {
    let text = std::fs::read_to_string("catalog/lightsail.json").expect("catalog/lightsail.json");
    serde_json::from_str(&text).expect("catalog/lightsail.json is JSON")
}

fn operations(catalog: &Value) -> &Vec<Value> {
    catalog["operations"].as_array().expect("operations")
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

/// Rule ids alerting on each record of `path` (single-record alerts, by eventID), from
/// `trailwatch scan` with the bundled pack; and eventID -> eventName of every record.
fn scan(path: &str) -> (BTreeMap<String, BTreeSet<String>>, BTreeMap<String, String>) {
    let out = Command::new(cli::bin())
        .args(["scan", "--format", "json", "--every-match", path])
        .output()
        .expect("trailwatch runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut hits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(alert) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if alert.get("correlation").is_some() {
            continue;
        }
        let id = str_of(&alert["event"], "eventID").to_owned();
        hits.entry(id)
            .or_default()
            .insert(str_of(&alert["rule"], "id").to_owned());
    }
    let records: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    let names = records["Records"]
        .as_array()
        .expect("Records")
        .iter()
        .map(|r| {
            (
                str_of(r, "eventID").to_owned(),
                str_of(r, "eventName").to_owned(),
            )
        })
        .collect();
    (hits, names)
}

#[test]
fn catalog_matches_the_pinned_botocore_model_and_the_rules() {
    let python = Path::new(".venv/bin/python");
    assert!(
        python.exists(),
        ".venv is missing: run `make .venv` (this test reads the botocore pinned in requirements-dev.txt from it)"
    );
    let out = Command::new(python)
        .args(["scripts/lightsail-catalog.py", "--check", "--trailwatch"])
        .arg(cli::bin())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "scripts/lightsail-catalog.py --check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_sensitive_operation_alerts_when_an_iam_user_calls_it() {
    let catalog = catalog();
    let (hits, names) = scan(SUCCESS);
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, name) in &names {
        by_name.entry(name.as_str()).or_default().push(id.as_str());
    }
    let mut sensitive = 0;
    for op in operations(&catalog) {
        let name = str_of(op, "name");
        let ids = by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name}: no fixture record"));
        if op["sensitive"] != Value::Bool(true) {
            continue;
        }
        sensitive += 1;
        let covering: BTreeSet<&str> = op["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| str_of(r, "id"))
            .collect();
        assert!(
            !covering.is_empty(),
            "{name}: sensitive, and no rule covers it"
        );
        for id in ids {
            let fired = hits.get(*id).cloned().unwrap_or_default();
            assert!(
                fired.iter().any(|r| covering.contains(r.as_str())),
                "{name} record {id}: no covering rule alerted (alerts: {fired:?}, covering: {covering:?})"
            );
        }
    }
    assert_eq!(
        sensitive,
        catalog["summary"]["sensitive"].as_u64().unwrap_or_default()
    );
    assert!(sensitive > 40, "{sensitive} sensitive operations");
}

#[test]
fn denied_attempts_alert_only_through_the_denied_call_rule() {
    let (hits, names) = scan(DENIED);
    assert!(names.len() >= 161, "{} denied records", names.len());
    for (id, name) in &names {
        let fired = hits.get(id).cloned().unwrap_or_default();
        assert_eq!(
            fired,
            BTreeSet::from([DENIED_RULE.to_owned()]),
            "denied {name} ({id})"
        );
    }
}

#[test]
fn coverage_doc_lists_every_operation_and_says_all_sensitive_ones_are_covered() {
    let catalog = catalog();
    let doc = std::fs::read_to_string("docs/lightsail-coverage.md").expect("coverage doc");
    for op in operations(&catalog) {
        let row = format!("| `{}` |", str_of(op, "name"));
        assert!(doc.contains(&row), "docs/lightsail-coverage.md lacks {row}");
    }
    let s = &catalog["summary"];
    let line = format!(
        "**{} operations** (botocore {}), **{} sensitive, {} of them covered** (all of them).",
        s["operations"],
        str_of(&catalog, "botocore"),
        s["sensitive"],
        s["sensitiveCovered"]
    );
    assert!(
        doc.contains(&line),
        "docs/lightsail-coverage.md lacks: {line}"
    );
}
