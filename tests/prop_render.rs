//! Properties over attacker-chosen text: S3 key decoding inverts S3's encoding, subjects stay
//! within SNS's rules, and a message fits SNS's 256 KB limit whatever the event holds.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use trailwatch::alert::{Alert, RuleRef};
use trailwatch::fetch::ObjectRef;
use trailwatch::plan::message::{Form, Message, SNS_MESSAGE_MAX};
use trailwatch::render;
use trailwatch::rules::Level;
use trailwatch::trigger::decode_key;

/// What S3 leaves unencoded in notification keys: unreserved characters and `/`.
const S3_KEEPS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// S3's notification encoding: percent-encoding, with a space as `+` (and `+` as `%2B`).
fn s3_encode(key: &str) -> String {
    key.split(' ')
        .map(|part| utf8_percent_encode(part, S3_KEEPS).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

fn alert(title: String, event: Value) -> Alert {
    Alert {
        rule: RuleRef {
            id: title.clone(),
            title: title.clone(),
            level: Level::Critical,
            tags: vec![title.clone()],
            description: Some(title.clone()),
            falsepositives: vec![title],
            notify: vec![],
        },
        event: event.into(),
        source: ObjectRef::S3 {
            bucket: "b".into(),
            key: "k".into(),
        },
        summary: None,
        suppressed: None,
    }
}

/// Text with the characters that break naive handling: controls, bidi overrides, emoji,
/// combining marks, markup and quotes.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,300}",
        "[\\x00-\\x1f\u{202e}\u{200b}\u{feff}\u{1f600}\u{301}<>&@`\"'\\\\ a-z]{0,400}",
    ]
}

/// Events from small to far past 256 KB, shaped like CloudTrail where it matters.
fn event() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        nasty().prop_map(Value::from),
        (1usize..200_000).prop_map(|n| Value::from("x".repeat(n))),
    ];
    let tree = leaf.prop_recursive(4, 200, 12, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..12).prop_map(Value::from),
            prop::collection::vec((nasty(), inner), 0..12)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    });
    (tree, nasty(), nasty()).prop_map(|(extra, name, arn)| {
        json!({"eventName": name, "eventID": "e1", "awsRegion": arn,
               "userIdentity": {"type": "IAMUser", "arn": arn},
               "requestParameters": extra.clone(), "extra": extra})
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decode_key_inverts_s3_key_encoding(key in any::<String>()) {
        prop_assert_eq!(decode_key(&s3_encode(&key)), Ok(key));
    }

    #[test]
    fn subjects_are_short_printable_ascii(
        title in nasty(), tail in nasty(), level in nasty(),
    ) {
        let s = render::subject::compose(&level, &title, &tail);
        prop_assert!(s.chars().count() <= 100 && s.len() < 100, "{:?}", s);
        prop_assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{:?}", s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_message_fits_sns_whatever_the_event(title in nasty(), event in event()) {
        let a = alert(title, event);
        let out = Message::alert(&a, Form::Sns);
        prop_assert!(out.size() <= SNS_MESSAGE_MAX, "{} bytes", out.size());
        prop_assert!(out.subject.len() < 100 && out.subject.is_ascii(), "{:?}", out.subject);
        let doc: Value = serde_json::from_str(&out.body).expect("structure is JSON");
        prop_assert!(doc["sqs"].as_str().is_some_and(|s| serde_json::from_str::<Value>(s).is_ok()));
    }
}
