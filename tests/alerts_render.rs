//! The alert forms people and machines read: golden files fix the exact email text and Chatbot
//! card for representative alerts (`UPDATE_GOLDEN=1 cargo test --test alerts_render` rewrites
//! them), and hostile field values must come out inert and within SNS's limits.

#[path = "support/mmdb.rs"]
#[allow(dead_code)]
mod mmdb;
mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use support::alerts::{bucket_access_denied, database_password, root_reboot};
use trailwatch::alert::Alert;
use trailwatch::plan::message::{Form, Message, SNS_MESSAGE_MAX};
use trailwatch::render::{self, attributes, chatbot, summary_template, text, Facts};

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

/// `alert` with the enrich stage's output from small data files of our own: the account's
/// name, the address's AS and country.
fn enriched(mut alert: Alert) -> Alert {
    use trailwatch::enrich::{EnrichSources, Enricher};
    let dir = std::env::temp_dir().join(format!("trailwatch-render-enrich-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        Some(path)
    };
    let sources = EnrichSources {
        accounts: write("accounts.csv", b"123456789012,prod-web\n"),
        ip_ranges: Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ip-ranges.json"),
        ),
        asn_db: write(
            "asn.mmdb",
            &mmdb::asn_db(&[("198.51.100.0/24", 64500, "ExampleNet")]),
        ),
        country_db: write(
            "country.mmdb",
            &mmdb::country_db(&[("198.51.100.0/24", "NL")]),
        ),
    };
    let enricher = Enricher::load(&sources).unwrap();
    enricher.add_to(std::sync::Arc::make_mut(&mut alert.event));
    std::fs::remove_dir_all(&dir).unwrap();
    alert
}

#[test]
fn golden_enriched_assumed_role() {
    let alert = enriched(database_password());
    golden("database-password-enriched", &alert);
    let csv = format!(
        "{}\n{}\n",
        render::csv::HEADER,
        render::csv::alert_row(&alert, &Facts::of(&alert))
    );
    check_golden("database-password-enriched.csv", &csv);
    let json: Value = serde_json::to_value(&alert).unwrap();
    assert!(
        json["event"].get("enrichment").is_none(),
        "the event as written"
    );
    assert_eq!(json["enrichment"]["actor"]["kind"], "role");
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
    std::sync::Arc::make_mut(&mut a.event)["userAgent"] = Value::String(format!(
        "<!channel> @here\u{1b}[31m{}",
        "A".repeat(300 * 1024)
    ));
    std::sync::Arc::make_mut(&mut a.event)["userIdentity"]["arn"] =
        "arn:aws:iam::1:user/<!here|x>@channel\r\nBcc: evil@example.com".into();
    std::sync::Arc::make_mut(&mut a.event)["requestParameters"] = json!({
        "instanceName": "web-1\u{0}<@U123>`x`&<https://evil.example|click>",
        "blob": "B".repeat(400 * 1024),
        "many": (0..20_000).map(|i| format!("v{i}")).collect::<Vec<_>>(),
    });
    std::sync::Arc::make_mut(&mut a.event)["sourceIPAddress"] = "<!everyone>\u{202E}1.2.3.4".into();
    std::sync::Arc::make_mut(&mut a.event)["awsRegion"] = "us-east-1.evil.example/#".into();
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

#[test]
fn entry_ids_and_dedup_ids_are_deterministic() {
    let a = Message::alert(&root_reboot(), Form::Sns);
    let b = Message::alert(&root_reboot(), Form::Sns);
    assert_eq!(a.entry_id(), b.entry_id());
    assert_eq!(a.key, b.key);
    assert!(a.entry_id().len() <= 80 && a.entry_id().chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a.key, Message::alert(&database_password(), Form::Sns).key);
}
