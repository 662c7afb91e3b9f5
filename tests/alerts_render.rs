//! The alert forms people and machines read: golden files fix the exact email text and Chatbot
//! card for representative alerts (`UPDATE_GOLDEN=1 cargo test --test alerts_render` rewrites
//! them), and hostile field values must come out inert and within SNS's limits.

use std::path::PathBuf;

use serde_json::{json, Value};
use trailwatch::fetch::ObjectRef;
use trailwatch::plan::message::{Form, Kind, Message, SNS_MESSAGE_MAX};
use trailwatch::plan::{Batch, PlanSettings, PlanStats, Planner};
use trailwatch::render::{
    self, attributes, chatbot, summary_template, text, Alert, Facts, RuleRef,
};
use trailwatch::rules::Level;

fn source() -> ObjectRef {
    ObjectRef::S3 {
        bucket: "org-trail".into(),
        key: "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/trail.json.gz".into(),
    }
}

fn rule(id: &str, title: &str, level: Level) -> RuleRef {
    RuleRef {
        id: id.into(),
        title: title.into(),
        level,
        tags: vec!["attack.impact".into(), "attack.t1529".into()],
        description: Some(format!("Detects: {title}.")),
        falsepositives: vec!["Planned maintenance by the account owner".into()],
        notify: vec![],
    }
}

fn alert(rule: RuleRef, event: Value, summary: Option<&str>) -> Alert {
    let summary = summary.map(|t| summary_template::render(t, &event));
    Alert {
        rule,
        event,
        source: source(),
        summary,
    }
}

fn root_reboot() -> Alert {
    alert(
        rule(
            "5f0c9a52-1d7e-4a55-9a51-6d3f0b7a7a01",
            "Root user rebooted a Lightsail instance",
            Level::High,
        ),
        json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "Root", "principalId": "123456789012",
                "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012",
                "accessKeyId": "ASIAEXAMPLEROOT00001",
                "sessionContext": {"attributes": {"creationDate": "2026-11-25T03:10:00Z",
                    "mfaAuthenticated": "false"}}},
            "eventTime": "2026-11-25T03:12:45Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "RebootInstance",
            "awsRegion": "eu-west-2",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
            "requestParameters": {"instanceName": "web-1"},
            "responseElements": null,
            "eventID": "b0070000-0000-4000-8000-000000000007",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "recipientAccountId": "123456789012"
        }),
        Some("{userIdentity.arn} rebooted {requestParameters.instanceName}"),
    )
}

fn database_password() -> Alert {
    alert(
        rule(
            "8a1e2f33-7b6c-4d2e-9f10-0c1d2e3f4a02",
            "Lightsail database master password read",
            Level::Critical,
        ),
        json!({
            "userIdentity": {"type": "AssumedRole",
                "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLEALICE0002",
                "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}},
            "eventTime": "2026-11-25T03:20:01Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "GetRelationalDatabaseMasterUserPassword",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.23",
            "userAgent": "Mozilla/5.0 (Macintosh) console.lightsail.aws",
            "requestParameters": {"relationalDatabaseName": "orders-db", "passwordVersion": "CURRENT"},
            "eventID": "c1a00000-0000-4000-8000-000000000042",
            "recipientAccountId": "123456789012"
        }),
        None,
    )
}

fn bucket_access_denied() -> Alert {
    alert(
        rule(
            "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f03",
            "Lightsail bucket made public",
            Level::Medium,
        ),
        json!({
            "userIdentity": {"type": "IAMUser",
                "arn": "arn:aws:iam::123456789012:user/deploy",
                "userName": "deploy", "accountId": "123456789012",
                "accessKeyId": "AKIAEXAMPLEDEPLOY003"},
            "eventTime": "2026-11-25T03:31:59Z",
            "eventSource": "lightsail.amazonaws.com",
            "eventName": "UpdateBucket",
            "awsRegion": "ap-southeast-2",
            "sourceIPAddress": "192.0.2.99",
            "userAgent": "Boto3/1.34.0 Python/3.12.0",
            "errorCode": "AccessDeniedException",
            "errorMessage": "User is not authorized to perform lightsail:UpdateBucket",
            "requestParameters": {"bucketName": "media-assets",
                "accessRules": {"getObject": "public", "allowPublicOverrides": true}},
            "eventID": "d2b00000-0000-4000-8000-000000000099",
            "recipientAccountId": "123456789012"
        }),
        None,
    )
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with the golden file, or rewrites it under `UPDATE_GOLDEN=1`.
fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} differs; rerun with UPDATE_GOLDEN=1 if the change is intended",
        path.display()
    );
}

fn email(alert: &Alert) -> String {
    text::text(alert, &Facts::of(alert))
}

fn card(alert: &Alert) -> Value {
    chatbot::chatbot(alert, &Facts::of(alert))
}

/// Plans `alerts` as one object's matches with a storm limit of 20.
fn plan(alerts: &[Alert], every_match: bool) -> (Vec<Batch>, PlanStats) {
    let settings = PlanSettings {
        every_match,
        ..PlanSettings::default()
    };
    let mut planner = Planner::new(&settings, source());
    let mut out = Vec::new();
    for a in alerts {
        planner.add_alert(a.clone(), &mut out);
    }
    let stats = planner.finish(&mut out);
    (out, stats)
}

fn golden(name: &str, alert: &Alert) {
    let email = format!(
        "Subject: {}\n\n{}",
        render::subject(alert, &Facts::of(alert)),
        text::text(alert, &Facts::of(alert))
    );
    check_golden(&format!("{name}.txt"), &email);
    let card =
        serde_json::to_string_pretty(&chatbot::chatbot(alert, &Facts::of(alert))).unwrap() + "\n";
    check_golden(&format!("{name}.json"), &card);
}

#[test]
fn golden_root_reboot() {
    golden("root-reboot", &root_reboot());
}

#[test]
fn golden_database_password() {
    golden("database-password", &database_password());
}

#[test]
fn golden_bucket_access_denied() {
    golden("bucket-access-denied", &bucket_access_denied());
}

#[test]
fn links_go_to_the_event_and_the_lightsail_resource() {
    let body = email(&root_reboot());
    assert!(body.contains("https://eu-west-2.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-2#/events/b0070000-0000-4000-8000-000000000007"), "{body}");
    assert!(
        body.contains(
            "https://lightsail.aws.amazon.com/ls/webapp/eu-west-2/instances/web-1/connect"
        ),
        "{body}"
    );
    assert!(
        email(&database_password()).contains("/ls/webapp/us-east-1/databases/orders-db/connect")
    );
    assert!(email(&bucket_access_denied())
        .contains("/ls/webapp/ap-southeast-2/buckets/media-assets/objects"));
}

#[test]
fn summary_template_fills_the_title_line() {
    let body = email(&root_reboot());
    assert!(body.starts_with("[HIGH] Root user rebooted a Lightsail instance: arn:aws:iam::123456789012:root rebooted web-1\n"), "{body}");
}

#[test]
fn every_protocol_gets_its_form() {
    let a = root_reboot();
    let out = Message::alert(&a, Form::Sns);
    let doc: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(doc["default"], doc["email"]);
    assert!(doc["email"].as_str().unwrap().contains("Who\n"));
    let card: Value = serde_json::from_str(doc["https"].as_str().unwrap()).unwrap();
    assert_eq!(card["version"], "1.0");
    assert_eq!(card["source"], "custom");
    assert_eq!(card["content"]["textType"], "client-markdown");
    assert_eq!(doc["http"], doc["https"]);
    assert_eq!(doc["sqs"].as_str().unwrap(), a.to_json());
    assert_eq!(doc["lambda"], doc["sqs"]);
    let names: Vec<&str> = out.attributes.iter().map(|a| a.name).collect();
    for n in [
        "level",
        "rule_id",
        "event_source",
        "event_name",
        "account_id",
        "region",
        "tags",
    ] {
        assert!(names.contains(&n), "missing attribute {n}: {names:?}");
    }
    let tags = out.attributes.iter().find(|a| a.name == "tags").unwrap();
    assert_eq!(tags.data_type, "String.Array");
}

#[test]
fn chatbot_threads_by_rule_and_account() {
    let a = card(&root_reboot());
    let b = card(&root_reboot());
    let c = card(&database_password());
    assert_eq!(a["metadata"]["threadId"], b["metadata"]["threadId"]);
    assert_ne!(a["metadata"]["threadId"], c["metadata"]["threadId"]);
}

fn hostile() -> Alert {
    let mut a = root_reboot();
    a.rule.title = "Root reboot <!channel> \u{7}".into();
    a.event["userAgent"] = Value::String(format!(
        "<!channel> @here\u{1b}[31m{}",
        "A".repeat(300 * 1024)
    ));
    a.event["userIdentity"]["arn"] =
        "arn:aws:iam::1:user/<!here|x>@channel\r\nBcc: evil@example.com".into();
    a.event["requestParameters"] = json!({
        "instanceName": "web-1\u{0}<@U123>`x`&<https://evil.example|click>",
        "blob": "B".repeat(400 * 1024),
        "many": (0..20_000).map(|i| format!("v{i}")).collect::<Vec<_>>(),
    });
    a.event["sourceIPAddress"] = "<!everyone>\u{202E}1.2.3.4".into();
    a.event["awsRegion"] = "us-east-1.evil.example/#".into();
    a.summary = Some(summary_template::render(
        "{userIdentity.arn} did {eventName}",
        &a.event,
    ));
    a
}

#[test]
fn hostile_values_are_inert_and_bounded() {
    let a = hostile();
    let out = Message::alert(&a, Form::Sns);
    assert!(
        out.size() < SNS_MESSAGE_MAX,
        "message is {} bytes",
        out.size()
    );
    assert!(
        out.subject.len() < 100
            && out
                .subject
                .chars()
                .all(|c| c.is_ascii() && !c.is_ascii_control())
    );
    for attr in &out.attributes {
        assert!(attr.value.chars().all(|c| !c.is_control()), "{attr:?}");
        assert!(attr.value.len() <= 4 * 300 + 64, "{attr:?}");
    }

    let doc: Value = serde_json::from_str(&out.body).expect("message structure parses");
    let email = doc["email"].as_str().unwrap();
    assert!(
        email.chars().all(|c| c == '\n' || !c.is_control()),
        "control characters in email"
    );
    assert!(!email.contains("\r\nBcc"));
    assert!(!email.contains('\u{202E}'));
    assert!(email.len() < 32 * 1024, "email is {} bytes", email.len());

    let card: Value = serde_json::from_str(doc["https"].as_str().unwrap()).unwrap();
    let mut markdown = vec![
        card["content"]["title"].as_str().unwrap().to_string(),
        card["content"]["description"].as_str().unwrap().to_string(),
    ];
    markdown.extend(
        card["content"]["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string()),
    );
    for md in &markdown {
        assert!(
            !md.contains('<') && !md.contains('>'),
            "unescaped angle bracket: {md}"
        );
        assert!(!md.contains('@'), "live mention: {md}");
        assert!(md.chars().all(|c| c == '\n' || !c.is_control()));
    }
    for step in card["content"]["nextSteps"].as_array().unwrap() {
        let step = step.as_str().unwrap();
        // Our own links are the only `<...>`; event text inside them is percent-encoded.
        assert!(
            !step.contains("<!") && !step.contains('@') && !step.contains("evil.example|"),
            "{step}"
        );
    }
    // A region that is not a region gives no links rather than a link elsewhere.
    assert!(!email.contains("https://us-east-1.evil"), "{email}");

    let sqs: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).expect("alert JSON parses");
    assert_eq!(
        sqs["event"]["eventID"],
        "b0070000-0000-4000-8000-000000000007"
    );
    assert_eq!(
        sqs["event"]["requestParameters"]["truncatedByTrailwatch"],
        true
    );
    assert!(sqs["event"]["userAgent"]
        .as_str()
        .unwrap()
        .contains("truncated by trailwatch"));
}

#[test]
fn text_and_json_forms_strip_or_escape_control_characters() {
    let a = hostile();
    let line = render::text_line(&a);
    assert!(line.chars().all(|c| !c.is_control()));
    let attrs = attributes::attributes(&a, &Facts::of(&a));
    assert!(attrs
        .iter()
        .all(|a| a.value.chars().all(|c| !c.is_control())));
}

fn burst(rule_id: &str, n: usize) -> Vec<Alert> {
    (0..n)
        .map(|i| {
            let mut a = root_reboot();
            a.rule.id = rule_id.into();
            a.event["eventID"] = format!("ev-{rule_id}-{i:03}").into();
            a.event["eventTime"] = format!("2026-11-25T03:{:02}:{:02}Z", i / 60, i % 60).into();
            a.event["sourceIPAddress"] = format!("10.0.0.{}", i % 3).into();
            a.event["userIdentity"]["arn"] =
                format!("arn:aws:iam::123456789012:user/u{}", i % 2).into();
            a
        })
        .collect()
}

#[test]
fn storm_control_sends_max_alerts_then_one_digest() {
    let mut alerts = burst("storm", 100);
    alerts.extend(burst("calm", 3));
    alerts.push(alerts[0].clone()); // CloudTrail delivered an event twice
    let (batches, stats) = plan(&alerts, false);
    assert_eq!(stats.duplicates, 1);
    assert_eq!((stats.alerts, stats.digests), (23, 1));
    let out = batches
        .iter()
        .flat_map(|b| &b.messages)
        .find(|m| m.kind == Kind::Digest)
        .expect("one digest");
    assert_eq!(out.rule_id, "storm");
    let doc: Value = serde_json::from_str(&out.body).unwrap();
    let json: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
    let d = &json["digest"];
    assert_eq!(
        (d["matches"].as_u64(), d["alerted"].as_u64()),
        (Some(100), Some(20))
    );
    assert_eq!(d["count"], 80);
    assert_eq!(d["first_event_time"], "2026-11-25T03:00:20Z");
    assert_eq!(d["last_event_time"], "2026-11-25T03:01:39Z");
    assert_eq!(d["principals"]["items"].as_array().map(Vec::len), Some(2));
    let ips: Vec<(&str, u64)> = d["source_ips"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["value"].as_str().unwrap(), i["count"].as_u64().unwrap()))
        .collect();
    // Most frequent first, ties by value.
    assert_eq!(ips, [("10.0.0.0", 27), ("10.0.0.2", 27), ("10.0.0.1", 26)]);
    assert_eq!(d["event_ids"]["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(d["event_ids"]["omitted"], 30);
    assert_eq!(d["event_ids"]["items"][0], "ev-storm-020");
    let email = doc["email"].as_str().unwrap();
    assert!(email.contains("80 more matches"), "{email}");
    assert!(email.contains("(and 30 more)"), "{email}");
    assert!(
        out.subject.starts_with("[HIGH] 80 more: "),
        "{}",
        out.subject
    );
    assert!(out
        .attributes
        .iter()
        .any(|a| a.name == "kind" && a.value == "digest"));
}

#[test]
fn batches_hold_ten_entries_and_256_kb() {
    let alerts = burst("b", 25);
    let sizes: Vec<usize> = plan(&alerts, true)
        .0
        .iter()
        .map(|b| b.messages.len())
        .collect();
    assert_eq!(sizes, vec![10, 10, 5]);

    let big: Vec<Alert> = alerts[..4]
        .iter()
        .map(|a| {
            let mut a = a.clone();
            for i in 0..15 {
                a.event["requestParameters"][format!("f{i}")] = Value::String("x".repeat(4000));
            }
            a
        })
        .collect();
    let batches = plan(&big, true).0;
    let messages: Vec<&Message> = batches.iter().flat_map(|b| &b.messages).collect();
    assert!(
        messages.iter().all(|m| m.size() > 90 * 1024),
        "{:?}",
        messages.iter().map(|m| m.size()).collect::<Vec<_>>()
    );
    assert!(
        batches.len() >= 2,
        "four ~100 KB messages need two batches at least"
    );
    for batch in &batches {
        assert!(batch.size() <= SNS_MESSAGE_MAX);
    }
}

#[test]
fn entry_ids_and_dedup_ids_are_deterministic() {
    let a = Message::alert(&root_reboot(), Form::Sns);
    let b = Message::alert(&root_reboot(), Form::Sns);
    assert_eq!(a.entry_id(), b.entry_id());
    assert_eq!(a.key, b.key);
    assert!(a.entry_id().len() <= 80 && a.entry_id().chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a.key, Message::alert(&database_password(), Form::Sns).key);
}
