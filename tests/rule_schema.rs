//! `schema/trailwatch-rule.schema.json` (for editors, through the YAML language server) against
//! the bundled rules, three broken rules, and the parser: the schema must accept what the
//! parser accepts on trailwatch's keys, and refuse what it refuses.
//!
//! Validation uses `jsonschema` from PyPI, installed in `.venv` (`make .venv`); the tests that
//! need it skip with a message when it is absent.
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trailwatch::rules::{Level, RuleSet};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("schema/trailwatch-rule.schema.json"))
        .expect("schema/trailwatch-rule.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// `.venv`'s Python when it has `jsonschema` and `yaml`.
fn python() -> Option<PathBuf> {
    let py = root().join(".venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import jsonschema, yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP: .venv/bin/python with jsonschema not found (run `make .venv`)");
    }
    ok.then_some(py)
}

fn check(py: &Path, paths: &[&str]) -> (bool, String) {
    let out = Command::new(py)
        .arg(root().join("scripts/check-rule-schema.py"))
        .args(paths.iter().map(|p| root().join(p)))
        .output()
        .expect("running scripts/check-rule-schema.py");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_bundled_rule_and_example_validates() {
    let Some(py) = python() else { return };
    let (ok, out) = check(&py, &["rules", "docs/examples"]);
    assert!(ok, "{out}");
}

#[test]
fn broken_rules_fail_the_schema_and_the_parser() {
    let Some(py) = python() else { return };
    for (file, expected) in [
        ("suppress-key-misspelt.yml", "'fro' was unexpected"),
        ("level-off-scale.yml", "'severe' is not one of"),
        (
            "correlation-without-type.yml",
            "'type' is a required property",
        ),
    ] {
        let path = format!("tests/fixtures/schema/{file}");
        let (ok, out) = check(&py, &[&path]);
        assert!(!ok, "{file} passed the schema");
        assert!(out.contains(expected), "{file}: {out}");
        let loaded = RuleSet::load_paths(&[root().join(&path)]);
        assert!(loaded.is_err(), "{file} loaded");
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

const RULE: &str = "title: t\nid: 0e95725d-7320-415d-80f7-004da920fc11\nlevel: low\n\
    logsource:\n  product: aws\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n";

fn load(text: &str) -> Result<RuleSet, String> {
    RuleSet::from_sources(&[("t.yml".into(), text.to_owned())]).map_err(|e| e.to_string())
}

#[test]
fn schema_and_parser_agree_on_trailwatchs_keys() {
    let s = schema();
    let defs = &s["definitions"];
    let rule = keys(&defs["rule"]["properties"]);
    for k in ["suppress", "notify", "summary", "tests"] {
        assert!(rule.contains(&k.to_owned()), "rule properties lack {k}");
    }
    // suppress: exactly `by` and `for`, as the parser reads it.
    assert_eq!(keys(&defs["suppress"]["properties"]), ["by", "for"]);
    load(&format!(
        "{RULE}suppress: {{by: [userIdentity.arn], for: 1h}}\n"
    ))
    .expect("suppress");
    let e = load(&format!(
        "{RULE}suppress: {{by: [userIdentity.arn], for: 1h, per: 2}}\n"
    ))
    .expect_err("an extra suppress key");
    assert!(e.contains("unknown key `per` in `suppress`"), "{e}");
    // tests: name, expect (match or no-match), event.
    assert_eq!(
        keys(&defs["rule_test"]["properties"]),
        ["event", "expect", "name"]
    );
    for expect in strings(&defs["rule_test"]["properties"]["expect"]["enum"]) {
        load(&format!(
            "{RULE}tests:\n- name: c\n  expect: {expect}\n  event: {{eventName: X}}\n"
        ))
        .unwrap_or_else(|e| panic!("expect {expect}: {e}"));
    }
    // level: the schema's scale is the parser's.
    let levels = strings(&defs["level"]["enum"]);
    assert_eq!(levels.len(), 5);
    for l in &levels {
        l.parse::<Level>().expect("a level the schema allows");
    }
    assert!("severe".parse::<Level>().is_err());
    // notify, summary: a list of aliases and a template.
    load(&format!(
        "{RULE}notify: [security]\nsummary: \"{{eventName}}\"\n"
    ))
    .expect("notify");
    // |element: the schema's pattern and the parser.
    let field_map = defs["field_map"].to_string();
    assert!(field_map.contains("element"), "{field_map}");
    // Every modifier the schema allows, the parser knows.
    let pattern = defs["modifiers"]["pattern"]
        .as_str()
        .expect("modifier pattern");
    let list = pattern
        .split("\\|(")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("modifier alternation");
    for m in list.split('|') {
        let text = RULE.replace("    eventName: X", &format!("    eventName|{m}: X"));
        if let Err(e) = load(&text) {
            assert!(!e.contains("unknown modifier"), "{m}: {e}");
        }
    }
}

#[test]
fn schema_and_parser_agree_on_correlation_keys() {
    let s = schema();
    let corr = &s["definitions"]["correlation"];
    let base = "title: b\nid: 0e95725d-7320-415d-80f7-004da920fc11\nname: b\nlevel: low\n\
                logsource:\n  product: aws\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n---\n";
    let doc = |body: &str| format!("{base}title: c\nlevel: high\ncorrelation:\n{body}");
    let with = |extra: &str| {
        doc(&format!(
            "  type: event_count\n  rules: [b]\n  timespan: 1h\n  condition: {{gte: 2}}\n{extra}"
        ))
    };
    let warnings = |text: &str| -> Vec<String> {
        load(text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    for (key, value) in [
        ("group-by", "[userIdentity.arn]"),
        ("aliases", "{}"),
        ("generate", "true"),
    ] {
        assert!(keys(&corr["properties"]).contains(&key.to_owned()), "{key}");
        let w = warnings(&with(&format!("  {key}: {value}\n")));
        assert!(!w.iter().any(|w| w.contains("unknown key")), "{key}: {w:?}");
    }
    // A key outside the schema is one the parser warns about.
    assert!(!keys(&corr["properties"]).contains(&"group_by".to_owned()));
    let w = warnings(&with("  group_by: [userIdentity.arn]\n"));
    assert!(
        w.iter().any(|w| w.contains("unknown key `group_by`")),
        "{w:?}"
    );
    // Every type the schema names loads; `type` is required by both.
    assert!(strings(&corr["required"]).contains(&"type".to_owned()));
    for t in strings(&corr["properties"]["type"]["enum"]) {
        let body = match t.as_str() {
            "temporal" | "temporal_ordered" => "  rules: [b, b2]\n  timespan: 1h\n".to_owned(),
            "value_count" | "value_sum" | "value_avg" => {
                "  rules: [b]\n  timespan: 1h\n  condition: {gte: 2, field: sourceIPAddress}\n"
                    .to_owned()
            }
            _ => "  rules: [b]\n  timespan: 1h\n  condition: {gte: 2}\n".to_owned(),
        };
        let second = base
            .replace("name: b\n", "name: b2\n")
            .replace("0e95725d", "1e95725d");
        let text = format!("{second}{}", doc(&format!("  type: {t}\n{body}")));
        load(&text).unwrap_or_else(|e| panic!("type {t}: {e}"));
    }
    let e = load(&doc(
        "  rules: [b]\n  timespan: 1h\n  condition: {gte: 2}\n",
    ))
    .expect_err("no type");
    assert!(e.contains("missing correlation `type`"), "{e}");
}
