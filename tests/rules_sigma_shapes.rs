//! Rules written in SigmaHQ's CloudTrail shapes load and fire as their authors meant: one-service
//! logsources, text search over `requestParameters`, and skips of what is not ours with warnings.
use serde_json::{json, Value};
use trailwatch::rules::RuleSet;

fn shapes() -> RuleSet {
    RuleSet::load_paths(&["tests/fixtures/rules/sigma_shapes"]).unwrap_or_else(|e| panic!("{e}"))
}

fn fired(set: &RuleSet, record: &Value) -> Vec<String> {
    let mut out = Vec::new();
    set.matches(record, &mut out);
    out.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn sigma_shaped_rules_load_and_skips_are_reported_with_their_position() {
    let set = shapes();
    assert_eq!(set.len(), 8);
    assert_eq!(set.skipped().len(), 3, "{:?}", set.notes());
    assert!(
        set.notes()
            .iter()
            .any(|n| n.contains("aggregation condition")),
        "Sigma 1 aggregations are skipped with a note: {:?}",
        set.notes()
    );
    let windows = set
        .skipped()
        .iter()
        .find(|w| w.file.ends_with("windows_rule.yml"))
        .expect("the Windows rule is reported");
    assert_eq!((windows.line, windows.col), (1, 1));
    assert!(
        windows.message.contains("product `windows` is not aws"),
        "{windows}"
    );
}

#[test]
fn an_iam_scoped_rule_fires_only_on_iam_records() {
    let set = shapes();
    let id = "5a1a0a3e-0000-4000-8000-000000000108".to_owned();
    let iam = json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
        "userIdentity": {"type": "IAMUser"}, "requestParameters": {"userName": "backup"}});
    assert!(fired(&set, &iam).contains(&id));
    // The same event name from another service (Amazon Transfer Family has one too).
    let transfer = json!({"eventSource": "transfer.amazonaws.com", "eventName": "CreateUser",
        "userIdentity": {"type": "IAMUser"}});
    assert!(!fired(&set, &transfer).contains(&id));
}

#[test]
fn requestparameters_contains_searches_the_objects_text() {
    let set = shapes();
    let versioning = |status: &str| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning",
            "userIdentity": {"type": "IAMUser"},
            "requestParameters": {"bucketName": "exports", "Host": "exports.s3.amazonaws.com",
                "VersioningConfiguration": {"Status": status,
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}, "versioning": ""}})
    };
    let id = "5a1a0a3e-0000-4000-8000-000000000109".to_owned();
    assert!(fired(&set, &versioning("Suspended")).contains(&id));
    assert!(!fired(&set, &versioning("Enabled")).contains(&id));

    // CloudTrail holds an inline policy as a string of JSON: its quotes are searched as written.
    let policy = |resource: &str| {
        let document = format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{{\"Effect\": \"Allow\", \
             \"Action\": [\"s3:GetObject\"], \"Resource\": [\"{resource}\"]}}]\n}}"
        );
        json!({"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy",
            "userAgent": "[S3 Browser 11.5.7 https://s3browser.com]",
            "requestParameters": {"userName": "s3-browser", "policyName": "s3-access",
                "policyDocument": document}})
    };
    let browser = "5a1a0a3e-0000-4000-8000-000000000106".to_owned();
    // `contains|all` with quoted JSON strings: every piece occurs in the object's text.
    assert!(fired(&set, &policy("arn:aws:s3:::<YOUR-BUCKET-NAME>/*")).contains(&browser));
    assert!(!fired(&set, &policy("arn:aws:s3:::exports/*")).contains(&browser));
}

#[test]
fn exact_values_still_compare_scalars_only() {
    let set = shapes();
    let out = fired(
        &set,
        &json!({
            "eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity",
            "sourceIPAddress": "198.51.100.9",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/web/i-0abc123"}
        }),
    );
    assert_eq!(out, vec!["5a1a0a3e-0000-4000-8000-000000000102".to_owned()]);
}
