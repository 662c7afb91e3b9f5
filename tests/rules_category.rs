//! A logsource `category` naming a CloudTrail event category scopes the rule to records with
//! that `eventCategory`, as rules written for other CloudTrail tools expect.
use serde_json::json;
use trailwatch::rules::RuleSet;

fn rule(category: &str) -> String {
    format!(
        "title: Instances stopped\nid: 0f6f1d9e-8a35-4a43-9d63-5e0c8f7d2b11\nstatus: test\n\
         level: low\nlogsource:\n  product: aws\n  service: ec2\n  category: {category}\n\
         detection:\n  sel:\n    eventName|startswith: Stop\n  condition: sel\n"
    )
}

fn record(category: &str) -> serde_json::Value {
    json!({
        "eventVersion": "1.09",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "StopInstances",
        "eventCategory": category,
        "awsRegion": "us-east-1",
    })
}

fn fires(set: &RuleSet, rec: &serde_json::Value) -> bool {
    let mut out = Vec::new();
    set.matches(rec, &mut out);
    !out.is_empty()
}

#[test]
fn management_category_fires_on_management_records_only() {
    let set =
        RuleSet::from_sources(&[("r.yml".to_owned(), rule("management"))]).expect("the rule loads");
    assert_eq!(set.len(), 1, "not skipped: {:?}", set.notes());
    assert!(fires(&set, &record("Management")));
    assert!(!fires(&set, &record("Data")));
    let mut no_category = record("Management");
    no_category
        .as_object_mut()
        .map(|o| o.remove("eventCategory"));
    assert!(!fires(&set, &no_category));
}

#[test]
fn data_category_fires_on_data_events() {
    let set = RuleSet::from_sources(&[("r.yml".to_owned(), rule("data"))]).expect("loads");
    assert!(fires(&set, &record("Data")));
    assert!(!fires(&set, &record("Management")));
}

#[test]
fn other_categories_are_still_skipped_with_a_reason() {
    let set =
        RuleSet::from_sources(&[("r.yml".to_owned(), rule("process_creation"))]).expect("loads");
    assert!(set.is_empty());
    assert!(
        set.notes()[0].contains("process_creation"),
        "{:?}",
        set.notes()
    );
}
