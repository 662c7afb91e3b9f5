//! Whatever an event and a rule title hold, an alert renders to an SNS message within SNS's
//! limits, with a clean ASCII subject and text that cannot hide, reorder or ping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use trailwatch::fetch::ObjectRef;
use trailwatch::plan::message::{Form, Message, SNS_MESSAGE_MAX};
use trailwatch::plan::DigestBuilder;
use trailwatch::alert::{Alert, RuleRef};
use trailwatch::render;
use trailwatch::rules::Level;

/// Text a person reads: no control characters but line breaks, no bidi or zero-width tricks.
fn visible(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    })
}

fn check(out: &Message) {
    assert!(
        out.size() <= SNS_MESSAGE_MAX,
        "message of {} bytes",
        out.size()
    );
    assert!(out.subject.len() < 100, "subject {:?}", out.subject);
    assert!(
        out.subject
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' '),
        "subject {:?}",
        out.subject
    );
    let doc: Value = serde_json::from_str(&out.body).expect("message structure is JSON");
    for form in ["default", "email"] {
        let text = doc[form].as_str().expect("text form");
        assert!(visible(text), "{form} hides text: {text:?}");
    }
    let machine: Value =
        serde_json::from_str(doc["sqs"].as_str().expect("sqs form")).expect("alert JSON");
    assert!(machine.is_object());
    let card = doc["https"].as_str().expect("chatbot form");
    let _: Value = serde_json::from_str(card).expect("card JSON");
    for ping in ["@here", "@channel", "@everyone", "<!"] {
        assert!(!card.contains(ping), "card pings {ping}: {card}");
    }
    for a in &out.attributes {
        assert!(!a.value.is_empty() && visible(&a.value), "attribute {a:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    // Layout: title bytes, NUL, event bytes (JSON when it parses, else strings in known fields).
    let (title, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"Rule"[..], data),
    };
    let title = String::from_utf8_lossy(title).into_owned();
    let event = match serde_json::from_slice::<Value>(rest) {
        Ok(v) => v,
        Err(_) => {
            let s = String::from_utf8_lossy(rest).into_owned();
            json!({"eventName": s, "eventSource": s, "eventID": s, "awsRegion": s,
                   "recipientAccountId": s, "sourceIPAddress": s, "userAgent": s,
                   "userIdentity": {"type": s, "arn": s, "userName": s},
                   "requestParameters": {"bucketName": s, "x": [s, s]}})
        }
    };
    let alert = Alert {
        rule: RuleRef {
            id: title.clone(),
            title: title.clone(),
            level: Level::High,
            tags: vec![title.clone()],
            description: Some(title.clone()),
            falsepositives: vec![title],
            notify: vec![],
        },
        event,
        source: ObjectRef::S3 {
            bucket: "b".into(),
            key: "k.json.gz".into(),
        },
        summary: None,
        suppressed: None,
    };
    check(&Message::alert(&alert, Form::Sns));
    let _ = render::text_line(&alert);
    let mut builder = DigestBuilder::new(alert.rule.clone(), alert.source.clone(), 20);
    builder.add(&alert.event);
    builder.add(&alert.event);
    if let Some(digest) = builder.finish() {
        check(&Message::digest(&digest, Form::Sns));
    }
});
