//! Whatever matches an object holds, the plan stage's batches stay within SNS's limits (ten
//! entries; in the SNS form, 256 KB per message and per batch) and its counts add up: every match is a repeat,
//! below the level, an alert, or in its rule's digest, and each digest says how many it holds.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use trailwatch::fetch::ObjectRef;
use trailwatch::plan::message::{Kind, SNS_MESSAGE_MAX};
use trailwatch::plan::routing::Routes;
use trailwatch::plan::{Form, PlanSettings, Planner, BATCH_BYTES, BATCH_ENTRIES};
use trailwatch::alert::{Alert, RuleRef};
use trailwatch::rules::Level;

const LEVELS: [Level; 5] = [
    Level::Informational,
    Level::Low,
    Level::Medium,
    Level::High,
    Level::Critical,
];

/// Layout: settings (limit, flags), then matches of 3 bytes (rule, eventID, size) each.
fn alerts(data: &[u8]) -> Option<(PlanSettings, ObjectRef, Vec<Alert>)> {
    let (head, rest) = data.split_at_checked(3)?;
    let settings = PlanSettings {
        max_alerts_per_rule: head[0] as usize % 25,
        every_match: head[1] & 1 == 1,
        min_level: (head[1] & 2 == 2).then_some(LEVELS[head[2] as usize % 5]),
        form: [Form::Sns, Form::Json][(head[1] >> 2) as usize & 1],
        routes: Routes::from_vars(
            "arn:aws:sns:us-east-1:123456789012:default",
            [(
                "TOPIC_PAGER".into(),
                "arn:aws:sns:us-east-1:123456789012:pager".into(),
            )],
        ),
    };
    let source = ObjectRef::S3 {
        bucket: "b".into(),
        key: "k.json.gz".into(),
    };
    let alerts = rest
        .chunks_exact(3)
        .take(64)
        .map(|m| {
            let r = m[0] % 6;
            let rule = RuleRef {
                id: format!("rule-{r}"),
                title: format!("Rule {r}"),
                level: LEVELS[r as usize % 5],
                tags: vec![],
                description: None,
                falsepositives: vec![],
                notify: if r % 2 == 0 {
                    vec!["pager".into()]
                } else {
                    vec![]
                },
            };
            // Some events are large enough that nine fill a batch, a rare one big enough to be
            // cut to fit a message (`render` fuzzes that on its own).
            let size = match m[2] {
                255 => 270_000,
                224.. => 30_000,
                _ => 10,
            };
            let event = json!({
                "eventID": format!("ev-{}", m[1]),
                "eventTime": format!("2026-11-25T03:{:02}:00Z", m[1] % 60),
                "eventName": "RebootInstance",
                "sourceIPAddress": format!("10.0.0.{}", m[2] % 8),
                "userIdentity": {"arn": format!("arn:aws:iam::123456789012:user/u{}", m[2] % 5)},
                "requestParameters": {"pad": "x".repeat(size)},
            });
            Alert {
                rule,
                event,
                source: source.clone(),
                summary: None,
                suppressed: None,
            }
        })
        .collect();
    Some((settings, source, alerts))
}

fuzz_target!(|data: &[u8]| {
    let Some((settings, source, alerts)) = alerts(data) else {
        return;
    };
    let mut planner = Planner::new(&settings, source);
    let mut out = Vec::new();
    for alert in &alerts {
        planner.add_alert(alert.clone(), &mut out);
    }
    let stats = planner.finish(&mut out).stats;

    for batch in &out {
        assert!(!batch.messages.is_empty(), "an empty batch");
        assert!(
            batch.messages.len() <= BATCH_ENTRIES,
            "{} entries",
            batch.messages.len()
        );
        // The local forms (the CLI's) are not bound by SNS's sizes.
        if settings.form == Form::Sns {
            assert!(
                batch.size() <= BATCH_BYTES,
                "a batch of {} bytes",
                batch.size()
            );
            for m in &batch.messages {
                assert!(
                    m.size() <= SNS_MESSAGE_MAX,
                    "a message of {} bytes",
                    m.size()
                );
            }
        }
    }
    let tallied: u64 = stats.rules.values().map(|t| t.matches).sum();
    assert_eq!(stats.matches, alerts.len() as u64);
    assert_eq!(
        stats.matches,
        stats.duplicates + stats.below_min_level + tallied
    );
    let mut sent: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for m in out.iter().flat_map(|b| &b.messages) {
        // Each rule here has one topic (the pager's or the default), so a message is counted once.
        let entry = sent.entry(&m.rule_id).or_default();
        match m.kind {
            Kind::Alert => entry.0 += 1,
            Kind::Digest => {
                let body: Value = serde_json::from_str(&m.body).expect("message JSON");
                let machine = match settings.form {
                    Form::Sns => serde_json::from_str(body["sqs"].as_str().expect("sqs form"))
                        .expect("alert JSON"),
                    _ => body,
                };
                entry.1 += machine["digest"]["count"].as_u64().expect("digest count");
            }
            Kind::Correlation => panic!("no correlation was planned"),
        }
    }
    for (id, tally) in &stats.rules {
        assert_eq!(
            tally.matches,
            tally.alerted + tally.digested,
            "{id}: {tally:?}"
        );
        let (alerts, digested) = sent.get(id.as_str()).copied().unwrap_or_default();
        assert_eq!(alerts, tally.alerted, "{id}: alert messages");
        assert_eq!(digested, tally.digested, "{id}: digest counts");
        if !settings.every_match {
            assert!(
                tally.alerted <= settings.max_alerts_per_rule.max(1) as u64,
                "{id}: {tally:?}"
            );
        }
    }
    assert_eq!(
        stats.alerts,
        stats.rules.values().map(|t| t.alerted).sum::<u64>()
    );
});
