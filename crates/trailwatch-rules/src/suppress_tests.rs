use std::time::Duration;

use serde_json::json;

use super::parse_duration;
use crate::{RuleErrors, RuleSet};

fn rule(suppress: &str) -> String {
    format!(
        "title: T\nid: 00000000-0000-4000-8000-000000000001\nlevel: low\n\
         logsource: {{ product: aws, service: cloudtrail }}\n\
         detection:\n  selection:\n    eventName: ConsoleLogin\n  condition: selection\n\
         {suppress}\n"
    )
}

fn load(suppress: &str) -> Result<RuleSet, RuleErrors> {
    RuleSet::from_sources(&[("r.yml".to_owned(), rule(suppress))])
}

fn error(suppress: &str) -> String {
    let errs = load(suppress).expect_err("must not load");
    assert_eq!(errs.0.len(), 1, "{errs}");
    errs.0[0].to_string()
}

#[test]
fn durations_take_one_unit() {
    assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
    assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
    assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
    for bad in [
        "",
        "h",
        "0s",
        "1.5h",
        "-1h",
        "1w",
        "1h30m",
        "366d",
        "99999999999999999999d",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
}

#[test]
fn a_valid_attribute_is_on_the_rule() {
    let set = load("suppress: { by: [userIdentity.arn, sourceIPAddress], for: 1h }").unwrap();
    let s = set.rules()[0].suppress.clone().expect("suppress");
    assert_eq!(s.by, ["userIdentity.arn", "sourceIPAddress"]);
    assert_eq!(s.window, Duration::from_secs(3600));
    let record = json!({"userIdentity": {"arn": "arn:aws:iam::1:user/a"}, "sourceIPAddress": null});
    assert_eq!(
        s.values(&record),
        [Some("arn:aws:iam::1:user/a".to_owned()), None]
    );
    assert!(load("suppress:").unwrap().rules()[0].suppress.is_none());
}

#[test]
fn values_of_numbers_objects_and_array_elements() {
    let set = load("suppress: { by: [a.0, b, c], for: 1m }").unwrap();
    let s = set.rules()[0].suppress.clone().unwrap();
    let record = json!({"a": ["x", "y"], "b": 22, "c": {"k": true}});
    assert_eq!(
        s.values(&record),
        [
            Some("x".to_owned()),
            Some("22".to_owned()),
            Some(r#"{"k":true}"#.to_owned())
        ]
    );
}

#[test]
fn each_problem_names_its_position() {
    let at = |line: u64, col: u64| format!("r.yml:{line}:{col}: ");
    let e = error("suppress: 1h");
    assert!(
        e.starts_with(&at(9, 11)) && e.contains("must be a map"),
        "{e}"
    );
    let e = error("suppress:\n  by: [userIdentity.arn]");
    assert!(
        e.starts_with(&at(10, 3)) && e.contains("needs `for`"),
        "{e}"
    );
    let e = error("suppress:\n  for: 1h\n  by: []");
    assert!(
        e.starts_with(&at(11, 7)) && e.contains("names no field"),
        "{e}"
    );
    let e = error("suppress:\n  for: 1h\n  by: [a, 'b c']");
    assert!(
        e.starts_with(&at(11, 11)) && e.contains("field paths"),
        "{e}"
    );
    let e = error("suppress:\n  for: 1h\n  by: [a, a]");
    assert!(e.starts_with(&at(11, 11)) && e.contains("twice"), "{e}");
    let e = error("suppress:\n  for: 60\n  by: [a]");
    assert!(e.starts_with(&at(10, 8)) && e.contains("duration"), "{e}");
}
