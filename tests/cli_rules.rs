//! The CLI over rules that load nothing, skip some, or carry filters: exit codes and messages.
#[path = "support/cli.rs"]
mod cli;

use std::process::{Command, Output};

const SHAPES: &str = "tests/fixtures/rules/sigma_shapes";

fn trailwatch(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(cli::bin());
    cmd.args(args).env_remove("MAX_RULES");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("trailwatch runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn scan_with_rule_paths_yielding_no_rule_exits_2_and_says_why() {
    let out = trailwatch(
        &[
            "scan",
            "--rules",
            &format!("{SHAPES}/windows_rule.yml"),
            "tests/fixtures",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no rules loaded from"), "{err}");
    assert!(
        err.contains("windows_rule.yml:1:1: `A Windows rule"),
        "{err}"
    );
    assert!(err.contains("product `windows` is not aws"), "{err}");
}

#[test]
fn validate_prints_a_warning_for_every_skipped_rule_and_counts_them() {
    let out = trailwatch(&["rules", "validate", SHAPES], &[]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("warning: ")).count(),
        3,
        "{err}"
    );
    assert!(err.contains("deprecated_rule.yml:1:1: "), "{err}");
    assert_eq!(
        text(&out.stdout).trim(),
        "8 rules OK, 0 correlations, 0 filters, 3 skipped, 3 warnings"
    );
}

#[test]
fn the_cli_honours_the_limits_in_the_environment() {
    let out = trailwatch(&["rules", "validate", SHAPES], &[("MAX_RULES", "2")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("more than 2 rules (MAX_RULES)"));
    let out = trailwatch(&["rules", "validate", SHAPES], &[("MAX_RULES", "lots")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("MAX_RULES is \"lots\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn list_and_explain_show_the_filter() {
    let filter = "rules/filters/exclude-break-glass-role.yml.disabled";
    let out = trailwatch(&["rules", "list", "rules", filter], &[]);
    let listed = text(&out.stdout);
    assert!(listed.contains("9a6bd63e-3409-49a3-a505-8a4144df5832  high           CloudTrail Trail Stopped, Deleted or Reconfigured\n    filtered by: filter \"Exclude the break-glass role"), "{listed}");
    let dir = tempfile::tempdir().expect("tempdir");
    let event = dir.path().join("e.json");
    std::fs::write(&event, r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::123456789012:role/BreakGlass"}}}}"#).expect("write");
    let out = trailwatch(
        &[
            "rules",
            "explain",
            "9a6bd63e-3409-49a3-a505-8a4144df5832",
            "--event",
            &event.display().to_string(),
            "--rules",
            "rules",
            "--rules",
            filter,
        ],
        &[],
    );
    let tree = text(&out.stdout);
    assert!(tree.contains("=> false"), "{tree}");
    assert!(tree.contains("selection [filter \"Exclude the break-glass role from trail and admin-policy alerts\"]: true  <- decided"), "{tree}");
}
