//! Planning one object's alerts into SNS batches: storm control (the per-rule limit, then one
//! digest of the rest, duplicates dropped) and batches of at most ten entries and 256 KB.

mod support;

use serde_json::Value;
use support::alerts::{root_reboot, source};
use trailwatch::alert::Alert;
use trailwatch::plan::message::{Kind, Message, SNS_MESSAGE_MAX};
use trailwatch::plan::{Batch, PlanSettings, PlanStats, Planner};

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
    let stats = planner.finish(&mut out).stats;
    (out, stats)
}

fn burst(rule_id: &str, n: usize) -> Vec<Alert> {
    (0..n)
        .map(|i| {
            let mut a = root_reboot();
            a.rule.id = rule_id.into();
            std::sync::Arc::make_mut(&mut a.event)["eventID"] =
                format!("ev-{rule_id}-{i:03}").into();
            std::sync::Arc::make_mut(&mut a.event)["eventTime"] =
                format!("2026-11-25T03:{:02}:{:02}Z", i / 60, i % 60).into();
            std::sync::Arc::make_mut(&mut a.event)["sourceIPAddress"] =
                format!("10.0.0.{}", i % 3).into();
            std::sync::Arc::make_mut(&mut a.event)["userIdentity"]["arn"] =
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
                std::sync::Arc::make_mut(&mut a.event)["requestParameters"][format!("f{i}")] =
                    Value::String("x".repeat(4000));
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
