use super::*;

const CATALOG: &str = "# test catalog\n\
    elasticache.amazonaws.com AuthorizeCacheSecurityGroupIngress DeleteCacheSecurityGroup\n\
    iam.amazonaws.com CreateUser DeleteUser\n\
    lambda.amazonaws.com CreateFunction\n\
    s3.amazonaws.com GetObject PutBucketEncryption PutBucketLifecycle\n\
    > s3.amazonaws.com PutBucketLifecycleConfiguration PutBucketLifecycle\n";

fn run(yaml: &str) -> Report {
    let cat = Catalog::parse(CATALOG);
    lint(&[("r.yml".to_owned(), yaml.to_owned())], Some(&cat))
}

fn rule(detection: &str) -> String {
    format!(
        "title: t\nid: 9a6bd63e-3409-49a3-a505-8a4144df5832\nstatus: test\ndate: 2026-11-25\n\
         level: low\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
    )
}

fn codes(r: &Report) -> Vec<(u64, u64, &'static str)> {
    r.findings.iter().map(|f| (f.line, f.col, f.code)).collect()
}

#[test]
fn clean_rule_has_no_findings() {
    let r = run(&rule(
        "  sel:\n    eventSource: iam.amazonaws.com\n    eventName: CreateUser\n  condition: sel\n",
    ));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn unknown_event_name_at_its_token_with_a_suggestion() {
    let r = run(&rule(
        "  sel:\n    eventSource: elasticache.amazonaws.com\n    eventName:\n      - DeleteCacheSecurityGroup\n      - AuthorizeCacheSecurityGroupEgress\n  condition: sel\n",
    ));
    assert_eq!(codes(&r), [(14, 9, "unknown-event-name")]);
    assert!(r.findings[0]
        .message
        .contains("did you mean `AuthorizeCacheSecurityGroupIngress`"));
    assert!(r.has_errors());
}

#[test]
fn renamed_api_names_point_at_the_logged_name() {
    let r = run(&rule(
        "  sel:\n    eventSource: s3.amazonaws.com\n    eventName: PutBucketLifecycleConfiguration\n  condition: sel\n",
    ));
    assert_eq!(codes(&r), [(12, 16, "unknown-event-name")]);
    assert!(r.findings[0].message.contains("as `PutBucketLifecycle`"));
}

#[test]
fn unknown_event_source() {
    let r = run(&rule(
        "  sel:\n    eventSource: elasticcache.amazonaws.com\n  condition: sel\n",
    ));
    assert_eq!(codes(&r), [(11, 18, "unknown-event-source")]);
    assert!(r.findings[0].message.contains("elasticache.amazonaws.com"));
}

#[test]
fn event_name_of_another_service_than_the_logsource() {
    let yaml = rule("  sel:\n    eventName: CreateUser\n  condition: sel\n")
        .replace("service: cloudtrail", "service: s3");
    let r = run(&yaml);
    assert_eq!(codes(&r), [(11, 16, "service-mismatch")]);
    assert!(r.findings[0].message.contains("iam.amazonaws.com"));
}

#[test]
fn misspelt_fields() {
    let r = run(&rule(
        "  sel:\n    eventname: CreateUser\n    user: alice\n  condition: sel\n",
    ));
    assert_eq!(
        codes(&r),
        [(11, 5, "unknown-field"), (12, 5, "unknown-field")]
    );
    assert!(r.findings[0].message.contains("`eventName`"));
    assert!(r.findings[1].message.contains("`userIdentity.userName`"));
}

#[test]
fn selections_that_never_match() {
    let r = run(&rule(
        "  a:\n    eventName|gt: 5\n  b:\n    userAgent|cidr: 10.0.0.0/8\n  c:\n    eventName: CreateUser\n    eventName|startswith: Delete\n  d:\n    eventName|all: [CreateUser, DeleteUser]\n  condition: a or b or c or d\n",
    ));
    assert_eq!(
        codes(&r),
        [
            (11, 5, "never-matches"),
            (13, 5, "never-matches"),
            (16, 5, "never-matches"),
            (18, 5, "never-matches"),
        ]
    );
}

#[test]
fn unused_selection() {
    let r = run(&rule(
        "  sel:\n    eventName: CreateUser\n  filter:\n    eventName: DeleteUser\n  condition: sel\n",
    ));
    assert_eq!(codes(&r), [(12, 3, "unused-selection")]);
}

#[test]
fn lambda_version_suffix_is_allowed_and_comments_silence() {
    let r = run(&rule(
        "  sel:\n    eventSource: lambda.amazonaws.com\n    eventName: CreateFunction20150331v2\n  condition: sel\n",
    ));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    let r = run(&rule(
        "  sel:\n    eventSource: iam.amazonaws.com\n    # lint: allow unknown-event-name (added after the catalog)\n    eventName: CreateBrandNewThing\n  condition: sel\n",
    ));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.silenced, 1);
}

#[test]
fn style_and_category() {
    let yaml = "title: t\nlevel: low\ndate: 2026/11/25\nlogsource:\n  product: aws\n  category: process_creation\ndetection:\n  sel:\n    eventName: CreateUser\n  condition: sel\n";
    let r = run(yaml);
    assert_eq!(
        codes(&r),
        [
            (1, 1, "style"),
            (1, 1, "style"),
            (3, 7, "style"),
            (6, 13, "logsource"),
        ]
    );
}

#[test]
fn correlation_group_by_unknown_field() {
    let yaml = "title: base\nid: 6bcf9f63-33ae-484d-9b8a-882df4cae8a9\nname: base\nstatus: test\nlevel: low\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName: CreateUser\n  condition: sel\n---\ntitle: c\nid: 7bcf9f63-33ae-484d-9b8a-882df4cae8a9\nstatus: test\nlevel: high\ncorrelation:\n  type: event_count\n  rules: [base]\n  group-by: [userIdentity.arn, SourceIp]\n  timespan: 1h\n  condition: {gte: 3}\n";
    let r = run(yaml);
    assert_eq!(codes(&r), [(20, 32, "group-by")]);
    assert!(r.findings[0].message.contains("`sourceIPAddress`"));
}
