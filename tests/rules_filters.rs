//! Sigma filters: which rules they apply to, how their condition joins the rule's, and what
//! `rules validate`/`list`/`explain`/`test` show of them.
use serde_json::{json, Value};
use trailwatch::rules::{Expect, RuleSet};

const EXAMPLE: &str = "rules/filters/exclude-break-glass-role.yml.disabled";
const TRAIL_TAMPERING: &str = "9a6bd63e-3409-49a3-a505-8a4144df5832";

fn stop_logging(role: &str) -> Value {
    json!({
        "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
        "userIdentity": {"type": "AssumedRole",
            "arn": format!("arn:aws:sts::123456789012:assumed-role/{role}/s"),
            "sessionContext": {"sessionIssuer": {"type": "Role",
                "arn": format!("arn:aws:iam::123456789012:role/{role}")}}},
        "requestParameters": {"name": "management"}
    })
}

fn fired(set: &RuleSet, record: &Value) -> Vec<String> {
    let mut out = Vec::new();
    set.matches(record, &mut out);
    out.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn the_example_filter_silences_one_role_in_a_bundled_rule_without_editing_it() {
    let plain = RuleSet::load_paths(&["rules"]).unwrap_or_else(|e| panic!("{e}"));
    let tuned = RuleSet::load_paths(&["rules", EXAMPLE]).unwrap_or_else(|e| panic!("{e}"));
    assert!(fired(&plain, &stop_logging("BreakGlass")).contains(&TRAIL_TAMPERING.to_owned()));
    assert!(!fired(&tuned, &stop_logging("BreakGlass")).contains(&TRAIL_TAMPERING.to_owned()));
    assert!(fired(&tuned, &stop_logging("Operator")).contains(&TRAIL_TAMPERING.to_owned()));
    let rule = tuned.get(TRAIL_TAMPERING).expect("bundled rule");
    assert_eq!(
        rule.filters.len(),
        1,
        "rules list shows it: {:?}",
        rule.filters
    );
    // The rule's own tests still pass with the filter applied, and so do the filter's.
    assert!(rule.run_tests().iter().all(|c| c.passed));
    let f = &tuned.filters()[0];
    let cases = tuned.run_filter_tests(f);
    assert_eq!(cases.len(), 2);
    assert!(cases.iter().all(|c| c.passed), "{cases:?}");
    // The bundled pack itself ships no enabled filter.
    assert!(trailwatch::pack::load().unwrap().filters().is_empty());
}

fn rule(id: &str, name: &str, service: &str) -> String {
    format!(
        "title: {name}\nid: {id}\nname: {name}\nlevel: high\nlogsource:\n  product: aws\n  service: {service}\n\
         detection:\n  sel:\n    eventName|startswith: Delete\n  condition: sel\n"
    )
}

fn filter(rules: &str, service: &str, condition: &str) -> String {
    format!(
        "title: tune\nlogsource:\n  product: aws\n  service: {service}\nfilter:\n  rules: {rules}\n\
         \x20 selection:\n    userIdentity.userName: ci\n  condition: {condition}\n"
    )
}

/// `rule_a` as a source.
fn rule_a() -> (String, String) {
    let id = "a0000000-0000-4000-8000-000000000001";
    ("r.yml".into(), rule(id, "rule_a", "cloudtrail"))
}

/// Which of the rules `a` (cloudtrail), `b` (cloudtrail) and `c` (iam) a filter applies to.
fn targets(filter_doc: &str) -> Vec<String> {
    let set = RuleSet::from_sources(&[
        (
            "r.yml".into(),
            [
                rule(
                    "a0000000-0000-4000-8000-000000000001",
                    "rule_a",
                    "cloudtrail",
                ),
                rule(
                    "b0000000-0000-4000-8000-000000000002",
                    "rule_b",
                    "cloudtrail",
                ),
                rule("c0000000-0000-4000-8000-000000000003", "rule_c", "iam"),
            ]
            .join("---\n"),
        ),
        ("filters/f.yml".into(), filter_doc.to_owned()),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    set.rules()
        .iter()
        .filter(|r| !r.filters.is_empty())
        .map(|r| r.title.clone())
        .collect()
}

#[test]
fn rules_takes_ids_names_any_or_an_empty_list_within_the_filters_logsource() {
    let by_id = filter(
        "[a0000000-0000-4000-8000-000000000001]",
        "cloudtrail",
        "not selection",
    );
    assert_eq!(targets(&by_id), ["rule_a"]);
    assert_eq!(
        targets(&filter("rule_b", "cloudtrail", "not selection")),
        ["rule_b"]
    );
    assert_eq!(
        targets(&filter("any", "cloudtrail", "not selection")),
        ["rule_a", "rule_b"]
    );
    assert_eq!(
        targets(&filter("[]", "cloudtrail", "not selection")),
        ["rule_a", "rule_b"]
    );
    // `product: aws` alone holds every AWS rule; `service: iam` only the IAM one.
    let aws_only = "title: t\nlogsource:\n  product: aws\nfilter:\n  rules: any\n  s:\n    a: b\n  condition: not s\n";
    assert_eq!(targets(aws_only), ["rule_a", "rule_b", "rule_c"]);
    assert_eq!(targets(&filter("any", "iam", "not selection")), ["rule_c"]);
    // Named, but outside the filter's logsource: not applied.
    assert!(targets(&filter("[rule_c]", "cloudtrail", "not selection")).is_empty());
}

#[test]
fn the_condition_is_anded_as_written() {
    let set = |cond: &str| {
        RuleSet::from_sources(&[
            rule_a(),
            ("f.yml".into(), filter("any", "cloudtrail", cond)),
        ])
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let by = |user: &str| json!({"eventName": "DeleteBucket", "userIdentity": {"userName": user}});
    let suppressing = set("not selection");
    assert!(fired(&suppressing, &by("ci")).is_empty());
    assert_eq!(fired(&suppressing, &by("alice")).len(), 1);
    // `condition: selection` narrows the rule to the selection instead.
    let narrowing = set("selection");
    assert_eq!(fired(&narrowing, &by("ci")).len(), 1);
    assert!(fired(&narrowing, &by("alice")).is_empty());
    // explain shows the filter's selection and that it decided.
    let ex = narrowing.rules()[0].explain(&by("alice"));
    assert!(!ex.matched);
    assert!(
        ex.condition[0].contains("filter \"tune\": (selection)"),
        "{:?}",
        ex.condition
    );
    assert_eq!(ex.deciding, ["selection [filter \"tune\"]"]);
    assert!(ex
        .to_string()
        .contains("selection [filter \"tune\"]: false  <- decided"));
}

#[test]
fn a_filter_naming_no_loaded_rule_is_a_warning_at_its_reference() {
    let set = RuleSet::from_sources(&[
        rule_a(),
        (
            "f.yml".into(),
            filter("[rule_a, no_such_rule]", "cloudtrail", "not selection"),
        ),
        ("g.yml".into(), filter("any", "ec2", "not selection")),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<String> = set.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("f.yml:6:19: ") && w[0].contains("`no_such_rule` names no loaded rule"),
        "{w:?}"
    );
    assert!(
        w[1].starts_with("g.yml:1:1: ") && w[1].contains("applies to no loaded rule"),
        "{w:?}"
    );
}

#[test]
fn filter_tests_pass_when_a_target_fires_or_none_does() {
    let with_tests = format!(
        "{}tests:\n- name: ci deletes\n  expect: no-match\n  event: {{eventName: DeleteBucket, userIdentity: {{userName: ci}}}}\n\
         - name: wrongly expected\n  expect: no-match\n  event: {{eventName: DeleteBucket, userIdentity: {{userName: bob}}}}\n",
        filter("any", "cloudtrail", "not selection")
    );
    let set = RuleSet::from_sources(&[rule_a(), ("f.yml".into(), with_tests)])
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = set.run_filter_tests(&set.filters()[0]);
    assert_eq!(cases.len(), 2);
    assert!(cases[0].passed && cases[0].fired.is_empty());
    assert_eq!(cases[1].expect, Expect::NoMatch);
    assert!(!cases[1].passed);
    assert_eq!(cases[1].fired, ["a0000000-0000-4000-8000-000000000001"]);
}

#[test]
fn broken_filters_are_errors_in_their_own_file() {
    let err = |doc: &str| {
        RuleSet::from_sources(&[rule_a(), ("f.yml".into(), doc.to_owned())])
            .expect_err("must fail")
            .to_string()
    };
    let no_rules =
        "title: t\nlogsource: {product: aws}\nfilter:\n  s: {a: b}\n  condition: not s\n";
    assert!(
        err(no_rules).starts_with("f.yml:4:3: a filter needs `rules`"),
        "{}",
        err(no_rules)
    );
    let bad_re = "title: t\nlogsource: {product: aws}\nfilter:\n  rules: any\n  s:\n    a|re: '('\n  condition: not s\n";
    assert!(err(bad_re).starts_with("f.yml:6:5: "), "{}", err(bad_re));
    let no_ls = "title: t\nfilter:\n  rules: any\n  s: {a: b}\n  condition: not s\n";
    assert!(
        err(no_ls).contains("a filter needs a `logsource`"),
        "{}",
        err(no_ls)
    );
}
