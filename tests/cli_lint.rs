//! `trailwatch rules lint`: every fixture in tests/fixtures/lint holds one mistake and names, on
//! its first line, where it must be reported (`# expect: LINE:COL CODE`); the bundled rules lint
//! clean; the output formats.
#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Output};

const FIXTURES: &str = "tests/fixtures/lint";

fn trailwatch(args: &[&str]) -> Output {
    Command::new(cli::bin())
        .args(args)
        .env_remove("MAX_RULES")
        .output()
        .expect("trailwatch runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn each_fixture_is_reported_at_its_token_and_only_there() {
    let mut files: Vec<_> = std::fs::read_dir(FIXTURES)
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let body = std::fs::read_to_string(&file).expect("fixture");
        let expect = body
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("first line says `# expect: LINE:COL CODE` or `nothing`");
        let name = file.display().to_string();
        let out = trailwatch(&["rules", "lint", &name]);
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        if expect == "nothing" {
            assert!(lines.is_empty(), "{name}: {stdout}");
            assert_eq!(out.status.code(), Some(0), "{name}");
            assert!(text(&out.stderr).contains("1 silenced"), "{name}");
            continue;
        }
        let (at, code) = expect.split_once(' ').expect("LINE:COL CODE");
        assert_eq!(lines.len(), 1, "{name}: one finding expected:\n{stdout}");
        assert!(
            lines[0].starts_with(&format!("{name}:{at}: "))
                && lines[0].ends_with(&format!("[{code}]")),
            "{name}: expected {at} [{code}], got {}",
            lines[0]
        );
        let error = lines[0].contains(": error: ");
        assert_eq!(out.status.code(), Some(if error { 1 } else { 0 }), "{name}");
    }
}

#[test]
fn the_bundled_rules_have_no_error() {
    let out = trailwatch(&["rules", "lint", "rules/", "docs/examples/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        !text(&out.stdout).contains(": error: "),
        "{}",
        text(&out.stdout)
    );
    // No path: the embedded pack, the same files.
    let out = trailwatch(&["rules", "lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn validate_errors_are_lint_errors_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("r.yml");
    std::fs::write(
        &file,
        "title: t\nid: 2c7d9a41-5e3b-4f6a-8d1c-9b0e7f3a2d51\nstatus: test\nlevel: low\n\
         logsource:\n  product: aws\ndetection:\n  sel:\n    eventName: CreateUser\n  condition: nope\n",
    )
    .expect("write");
    let out = trailwatch(&["rules", "lint", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("r.yml:10:14: error: condition names unknown selection `nope` [validate]"),
        "{stdout}"
    );
}

#[test]
fn json_and_sarif_carry_every_finding_at_its_position() {
    let file = Path::new(FIXTURES).join("event-name-never-written.yml");
    let file = file.display().to_string();
    let out = trailwatch(&["rules", "lint", "--format", "json", &file]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["findings"][0]["line"], 15);
    assert_eq!(doc["findings"][0]["code"], "unknown-event-name");
    assert!(doc["catalog"]
        .as_str()
        .is_some_and(|c| c.starts_with("botocore ")));

    let out = trailwatch(&["rules", "lint", "--format", "sarif", &file]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "unknown-event-name");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(15), Some(15))
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "unknown-event-name"));
}
