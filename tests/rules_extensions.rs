//! The constructs Sigma leaves to us over CloudTrail JSON: `|element`, string modifiers on
//! objects, logsource scopes in the index, and rule ids. Each edge case RULES.md decides.
use serde_json::{json, Value};
use trailwatch::rules::RuleSet;

fn set(detection: &str) -> RuleSet {
    set_with("cloudtrail", detection)
}

fn set_with(service: &str, detection: &str) -> RuleSet {
    let text = format!(
        "title: t\nid: 0e95725d-7320-415d-80f7-004da920fc11\nlevel: low\nlogsource:\n  product: aws\n  \
         service: {service}\ndetection:\n{detection}"
    );
    RuleSet::from_sources(&[("t.yml".into(), text)]).unwrap_or_else(|e| panic!("{e}"))
}

fn hit(s: &RuleSet, record: &Value) -> bool {
    let mut out = Vec::new();
    s.matches(record, &mut out);
    !out.is_empty()
}

fn ports(entries: Value) -> Value {
    json!({"eventName": "PutInstancePublicPorts", "requestParameters": {"portInfos": entries}})
}

#[test]
fn element_requires_every_condition_of_the_same_entry() {
    let s = set("  sel:\n    requestParameters.portInfos|element:\n      fromPort: 22\n      cidrs: 0.0.0.0/0\n  condition: sel\n");
    let split = json!([{"fromPort": 22, "cidrs": ["198.51.100.0/24"]}, {"fromPort": 80, "cidrs": ["0.0.0.0/0"]}]);
    assert!(
        !hit(&s, &ports(split)),
        "port 22 restricted, another entry open"
    );
    let same = json!([{"fromPort": 80, "cidrs": ["198.51.100.0/24"]}, {"fromPort": 22, "cidrs": ["0.0.0.0/0"]}]);
    assert!(hit(&s, &ports(same)));
    // A single object is a list of one; plain Sigma without `|element` still matches across entries.
    assert!(hit(
        &s,
        &ports(json!({"fromPort": "22", "cidrs": "0.0.0.0/0"}))
    ));
    let plain = set("  sel:\n    requestParameters.portInfos.fromPort: 22\n    requestParameters.portInfos.cidrs: 0.0.0.0/0\n  condition: sel\n");
    assert!(hit(
        &plain,
        &ports(json!([{"fromPort": 22}, {"cidrs": ["0.0.0.0/0"]}]))
    ));
}

#[test]
fn element_takes_a_list_of_maps_or_selections_with_a_condition_and_nests() {
    let any_of = set("  sel:\n    Statement|element:\n      - {Effect: Allow, Principal: '\\*'}\n      - {Effect: Allow, Principal.AWS: '\\*'}\n  condition: sel\n");
    let policy = |st: Value| json!({"Statement": st});
    assert!(hit(
        &any_of,
        &policy(
            json!([{"Effect": "Deny", "Principal": "*"}, {"Effect": "Allow", "Principal": {"AWS": ["*"]}}])
        )
    ));
    assert!(!hit(
        &any_of,
        &policy(
            json!([{"Effect": "Deny", "Principal": "*"}, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}}])
        )
    ));
    let with_condition = set("  sel:\n    Statement|element:\n      allow: {Effect: Allow}\n      conditional:\n        Condition|exists: true\n      condition: allow and not conditional\n  condition: sel\n");
    assert!(!hit(
        &with_condition,
        &policy(json!([{"Effect": "Allow", "Condition": {"Bool": {}}}]))
    ));
    assert!(hit(
        &with_condition,
        &policy(json!([{"Effect": "Allow", "Condition": {}}, {"Effect": "Allow"}]))
    ));
    let nested = set("  sel:\n    items|element:\n      ranges|element:\n        cidr: 0.0.0.0/0\n        desc: any\n  condition: sel\n");
    assert!(hit(
        &nested,
        &json!({"items": [{"ranges": [{"cidr": "10.0.0.0/8", "desc": "any"}, {"cidr": "0.0.0.0/0", "desc": "any"}]}]})
    ));
    assert!(!hit(
        &nested,
        &json!({"items": [{"ranges": [{"cidr": "10.0.0.0/8", "desc": "any"}, {"cidr": "0.0.0.0/0"}]}]})
    ));
}

#[test]
fn element_misuse_is_an_error_at_its_key() {
    let load = |det: &str| {
        let text = format!("title: t\nid: 0e95725d-7320-415d-80f7-004da920fc11\nlevel: low\nlogsource: {{product: aws}}\ndetection:\n{det}");
        RuleSet::from_sources(&[("e.yml".into(), text)])
            .expect_err("must fail")
            .to_string()
    };
    let e = load("  sel:\n    portInfos|element|contains:\n      fromPort: 22\n  condition: sel\n");
    assert!(
        e.starts_with("e.yml:7:5: ") && e.contains("cannot be combined"),
        "{e}"
    );
    let e = load("  sel:\n    portInfos|element: 22\n  condition: sel\n");
    assert!(
        e.starts_with("e.yml:7:24: ") && e.contains("takes a selection map"),
        "{e}"
    );
    let e = load("  sel:\n    portInfos:\n      fromPort: 22\n  condition: sel\n");
    assert!(e.contains("write `portInfos|element:`"), "{e}");
}

fn versioning(params: Value) -> Value {
    json!({"eventName": "PutBucketVersioning", "requestParameters": params})
}

#[test]
fn string_modifiers_search_an_objects_compact_json_text() {
    let rp = json!({"bucketName": "b", "VersioningConfiguration": {"Status": "Suspended"}});
    let t = |det: &str| {
        hit(
            &set(&format!("  sel:\n    {det}\n  condition: sel\n")),
            &versioning(rp.clone()),
        )
    };
    assert!(
        t("requestParameters|contains: suspended"),
        "case-insensitive by default"
    );
    assert!(!t("requestParameters|contains|cased: suspended"));
    assert!(t("requestParameters|contains|cased: Suspended"));
    assert!(
        t("requestParameters|contains: '\"Status\":\"Suspended\"'"),
        "compact: no spaces"
    );
    assert!(
        t("requestParameters|contains: VersioningConfiguration"),
        "keys are text too"
    );
    assert!(
        t("requestParameters|startswith: '{\"bucketName\"'"),
        "keys keep the record's order"
    );
    assert!(t("requestParameters|endswith: '\"Suspended\"}}'"));
    assert!(t("requestParameters: '*Suspended*'"), "wildcards search");
    assert!(t(
        "requestParameters|re: '\"Status\":\"(Suspended|Enabled)\"'"
    ));
    assert!(t("requestParameters|contains|all: [bucketName, Suspended]"));
    // Strings inside are written as they are: quotes in a string of JSON are not escaped.
    let doc = json!({"policyDocument": "{\"Effect\": \"Allow\"}", "n": 1.5, "ok": true, "x": null});
    let s = set("  sel:\n    requestParameters|contains: '\"policyDocument\":\"{\"Effect\": \"Allow\"}\",\"n\":1.5,\"ok\":true,\"x\":null'\n  condition: sel\n");
    assert!(hit(&s, &versioning(doc)));
    // Equality keeps scalar semantics: an object equals no value, and `neq` needs a scalar.
    assert!(!t("requestParameters: '{\"bucketName\":\"b\",\"VersioningConfiguration\":{\"Status\":\"Suspended\"}}'"));
    assert!(!t("requestParameters|neq: x"));
    // Keywords still search string values only, not keys.
    let keywords = set("  kw:\n    - VersioningConfiguration\n  condition: kw\n");
    assert!(!hit(&keywords, &versioning(rp.clone())));
}

#[test]
fn arrays_match_per_element_and_nested_arrays_are_inside_their_objects_text() {
    let s =
        set("  sel:\n    requestParameters.items|contains: '\"ports\":[22,'\n  condition: sel\n");
    // Each element (an object) is searched on its own; a nested array is part of its text.
    assert!(hit(
        &s,
        &json!({"requestParameters": {"items": [{"ports": [80]}, {"ports": [22, 80]}]}})
    ));
    assert!(!hit(
        &s,
        &json!({"requestParameters": {"items": [{"ports": [80, 22]}]}})
    ));
    // Arrays of scalars keep any-element matching, never the array's text.
    let scalars = set("  sel:\n    cidrs|contains: '\",\"'\n  condition: sel\n");
    assert!(!hit(&scalars, &json!({"cidrs": ["0.0.0.0/0", "::/0"]})));
}

#[test]
fn a_scope_is_a_condition_the_index_files_the_rule_under() {
    let s = set_with(
        "iam",
        "  sel:\n    eventName|startswith: Delete\n  condition: sel\n",
    );
    assert!(hit(
        &s,
        &json!({"eventSource": "iam.amazonaws.com", "eventName": "DeleteUser"})
    ));
    assert!(!hit(
        &s,
        &json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket"})
    ));
    assert!(
        !s.may_match(Some("s3.amazonaws.com"), Some("DeleteBucket")),
        "skipped unparsed"
    );
    assert!(s.may_match(Some("iam.amazonaws.com"), Some("DeleteUser")));
    let explained = s.rules()[0]
        .explain(&json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket"}));
    assert_eq!(explained.deciding, ["logsource service iam"]);
}

#[test]
fn ids_that_are_not_uuids_load_with_a_warning_and_duplicates_name_both_files() {
    let doc = |id: &str| {
        format!("title: t\nid: {id}\nlevel: low\nlogsource: {{product: aws}}\ndetection:\n  s: {{a: b}}\n  condition: s\n")
    };
    let set = RuleSet::from_sources(&[("a.yml".into(), doc("not-a-uuid"))])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.len(), 1);
    let w = set.warnings()[0].to_string();
    assert!(
        w.starts_with("a.yml:2:5: `id` `not-a-uuid` is not a UUID"),
        "{w}"
    );
    let id = "0e95725d-7320-415d-80f7-004da920fc11";
    let err = RuleSet::from_sources(&[("a.yml".into(), doc(id)), ("b.yml".into(), doc(id))])
        .expect_err("duplicate")
        .to_string();
    assert_eq!(
        err,
        format!("b.yml:2:5: duplicate rule id `{id}` (first at a.yml:2:5)")
    );
}
