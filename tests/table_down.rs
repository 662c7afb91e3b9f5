//! The state table unreachable for an object's verdicts: with `STATE_UNAVAILABLE=deliver` the
//! object gives the alerts and counts a healthy table gives (its correlations evaluated over
//! the object alone, nothing suppressed), and is made retryable; with `fail` the verdicts'
//! alerts are held back.

#[path = "support/gz.rs"]
mod gz;
#[path = "support/spy.rs"]
mod spy;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use spy::Spy;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings, Summary};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::state::{StateSettings, StateUnavailable};

const RULES: &str = "title: delete
id: 7ab1e000-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Delete
  condition: s
suppress:
  by: [userIdentity.arn]
  for: 1h
---
title: read
id: 7ab1e000-0000-4000-8000-000000000002
name: read
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Get
  condition: s
---
title: three reads
id: 7ab1e000-0000-4000-8000-000000000003
level: medium
correlation:
  type: event_count
  rules: [read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 3
";

/// Two deletes by one principal (one alert, one suppressed) and four reads (one burst).
fn object() -> (ObjectRef, Vec<u8>) {
    let record = |i: i64, name: &str| {
        json!({"eventID": format!("down-{i}"),
               "eventTime": format!("2026-11-25T10:0{i}:00Z"),
               "eventSource": "lightsail.amazonaws.com", "eventName": name,
               "userIdentity": {"arn": "arn:aws:iam::1:user/ops"}})
    };
    let records: Vec<Value> = (0..2)
        .map(|i| record(i, "DeleteInstance"))
        .chain((2..6).map(|i| record(i, "GetInstances")))
        .collect();
    gz::trail_object("down.json.gz", records)
}

/// One scan of the object with the table up or down, under `policy`: the alerts' (rule,
/// identity) in order, and the summary.
async fn scan(down: bool, policy: StateUnavailable) -> (Vec<(String, String)>, Summary) {
    let fetch = Arc::new(MemoryFetch::new());
    let (object, bytes) = object();
    fetch.put(&object, bytes);
    let store = Arc::new(Spy::default());
    store.unreachable.store(down, Ordering::SeqCst);
    let recorder = Arc::new(MemoryDeliver::new());
    let rules = RuleSet::from_sources(&[("r.yml".into(), RULES.into())]).expect("rules");
    let settings = Settings {
        plan: PlanSettings {
            form: Form::Json,
            ..PlanSettings::default()
        },
        state: StateSettings {
            unavailable: policy,
            ..StateSettings::default()
        },
        correlation: trailwatch::correlate::CorrelationSettings {
            clock: trailwatch::correlate::Clock::EventTime,
            ..Default::default()
        },
        ..Settings::default()
    };
    let p = Pipeline::new(fetch, recorder.clone(), Arc::new(rules), settings).state(store, "t");
    let summary = p.summarise(std::slice::from_ref(&object)).await;
    let sent = recorder
        .messages()
        .into_iter()
        .map(|m| (m.rule_id, m.event_id.unwrap_or_default()))
        .collect();
    (sent, summary)
}

#[tokio::test]
async fn an_unreachable_table_gives_the_same_alerts_and_counts_and_a_retry() {
    let (healthy, up) = scan(false, StateUnavailable::Deliver).await;
    assert!(up.failed.is_empty(), "{:?}", up.failed);
    assert_eq!(
        (up.alerts, up.correlation_alerts, up.suppressed),
        (2, 1, 1),
        "one delete alert, one suppressed, one burst"
    );
    let (degraded, down) = scan(true, StateUnavailable::Deliver).await;
    assert_eq!(degraded, healthy, "the same alerts, in the same order");
    assert_eq!(
        (down.alerts, down.correlation_alerts, down.events),
        (up.alerts, up.correlation_alerts, up.events)
    );
    assert!(
        down.state_unavailable >= 2,
        "suppression and correlation both failed"
    );
    assert_eq!(down.failed.len(), 1, "the object is retried");
    assert!(down.failed[0].retryable, "{:?}", down.failed);
}

#[tokio::test]
async fn with_state_unavailable_fail_the_verdicts_alerts_are_held_back() {
    let (sent, down) = scan(true, StateUnavailable::Fail).await;
    assert!(
        sent.is_empty(),
        "nothing the verdicts release goes out: {sent:?}"
    );
    assert_eq!((down.alerts, down.correlation_alerts), (0, 0));
    assert_eq!(down.failed.len(), 1);
    assert!(down.failed[0].retryable);
}
