//! The CLI's correlation state is bounded by the groups active within one window: a week of
//! files, five new principals in each, leaves only the last hour or so of groups in memory,
//! and every group still alerts.
use std::io::Write;
use std::sync::Arc;

use serde_json::{json, Value};
use trailwatch::correlate::{Clock, CorrelationSettings, DEFAULT_LATENESS};
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::state::MemoryStore;

const FILES: usize = 1_000;
const PER_FILE: usize = 5;
/// CloudTrail's delivery interval.
const FILE_S: i64 = 300;
const T0: i64 = 1_795_000_000;

const RULES: &str = "title: read
id: 7b0c3d2e-0000-4000-8000-000000000001
name: read
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Get
  condition: s
---
title: three reads
id: 7b0c3d2e-0000-4000-8000-000000000002
level: medium
correlation:
  type: event_count
  rules: [read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 3
";

fn file(n: usize) -> Vec<u8> {
    let records: Vec<Value> = (0..PER_FILE * 3)
        .map(|i| {
            let t = T0 + n as i64 * FILE_S + i as i64;
            json!({
                "eventID": format!("e-{n}-{i}"),
                "eventTime": chrono::DateTime::from_timestamp(t, 0).expect("time")
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "eventSource": "lightsail.amazonaws.com",
                "eventName": "GetInstances",
                "userIdentity": {"arn": format!("arn:aws:iam::1:user/p{n}-{}", i % PER_FILE)},
            })
        })
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let body = json!({ "Records": records }).to_string();
    enc.write_all(body.as_bytes()).expect("gzip");
    enc.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_files_keeps_only_the_groups_of_the_last_window() {
    let rules = RuleSet::from_sources(&[("c.yml".into(), RULES.into())]).expect("rules");
    let fetch = Arc::new(MemoryFetch::new());
    let objects: Vec<ObjectRef> = (0..FILES)
        .map(|n| {
            let o = ObjectRef::S3 {
                bucket: "b".into(),
                key: format!("f{n:05}.json.gz"),
            };
            fetch.put(&o, file(n));
            o
        })
        .collect();
    let store = Arc::new(MemoryStore::new(std::time::Duration::from_secs(86_400)));
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings {
        plan: PlanSettings {
            form: Form::Json,
            ..PlanSettings::default()
        },
        correlation: CorrelationSettings {
            lateness: DEFAULT_LATENESS,
            clock: Clock::EventTime,
        },
        ..Settings::default()
    };
    let pipeline = Pipeline::new(fetch, deliver.clone(), Arc::new(rules), settings)
        .state(store.clone(), "memory-bound");
    let summary = pipeline.summarise(&objects).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.correlation_alerts, (FILES * PER_FILE) as u64);
    let (groups, _) = store.correlation_len();
    // A group is kept timespan + lateness (70 minutes, 14 files) past its newest record, and
    // swept every few dozen store calls: a few hundred at most, of the 5,000 seen.
    let window_files = (600 + DEFAULT_LATENESS.as_secs() as usize) / FILE_S as usize;
    let bound = (window_files + 2 * 64) * PER_FILE;
    assert!(groups <= bound, "{groups} groups held, bound {bound}");
}

/// One file touching more groups than an object may hold: the matches of the groups past the
/// bound are counted as dropped, not silently lost, and the rest still correlate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_past_the_per_file_bound_are_counted_as_dropped() {
    let extra = 5;
    let n = trailwatch::correlate::MAX_GROUPS + extra;
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"eventID": format!("g-{i}"), "eventTime": "2026-03-01T10:00:00Z",
                   "eventSource": "lightsail.amazonaws.com", "eventName": "GetInstances",
                   "userIdentity": {"arn": format!("arn:aws:iam::1:user/g{i}")}})
        })
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(json!({ "Records": records }).to_string().as_bytes())
        .expect("gzip");
    let fetch = Arc::new(MemoryFetch::new());
    let object = ObjectRef::S3 {
        bucket: "b".into(),
        key: "wide.json.gz".into(),
    };
    fetch.put(&object, enc.finish().expect("gzip"));
    let rules = RuleSet::from_sources(&[("c.yml".into(), RULES.into())]).expect("rules");
    let pipeline = Pipeline::new(
        fetch,
        Arc::new(MemoryDeliver::new()),
        Arc::new(rules),
        Settings::default(),
    );
    let summary = pipeline.summarise(std::slice::from_ref(&object)).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    assert_eq!(summary.correlation_dropped, extra as u64);
}
