//! The order-independence guarantee of correlation rules, as a property: records of several
//! groups, in bursts more than two timespans apart, split into files, delivered in any order,
//! some twice, through concurrent scans sharing one in-memory store, raise the same
//! (correlation, group, burst) alerts as one sorted pass over the same records.
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};
use trailwatch::correlate::{Clock, CorrelationSettings};
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::state::MemoryStore;

const SPAN_S: i64 = 600;
const T0: i64 = 1_795_000_000;
const NAMES: &[&str] = &["GetA", "GetB", "GetC", "GetD"];

/// The rules: `GetA`/`GetB` (rule a) and `GetC`/`GetD` (rule b), and one correlation.
fn rules(kind: usize, threshold: usize) -> RuleSet {
    let base = |id: &str, name: &str, events: &str| {
        format!(
            "title: {name}\nid: {id}\nname: {name}\nlevel: low\nlogsource: {{product: aws, service: cloudtrail}}\n\
             detection:\n  s:\n    eventSource: test.amazonaws.com\n    eventName: [{events}]\n  condition: s\n"
        )
    };
    let (kind_text, condition) = match kind {
        0 => ("event_count", format!("gte: {threshold}")),
        1 => (
            "value_count",
            format!("field: eventName\n    gte: {}", threshold.min(4)),
        ),
        _ => ("temporal", "gte: 2".to_owned()),
    };
    let corr = format!(
        "title: burst\nid: c0000000-0000-4000-8000-000000000000\nlevel: high\ncorrelation:\n  type: {kind_text}\n  \
         rules: [a, b]\n  group-by: [userIdentity.arn]\n  timespan: {SPAN_S}s\n  condition:\n    {condition}\n"
    );
    let text = format!(
        "{}---\n{}---\n{corr}",
        base("a0000000-0000-4000-8000-000000000000", "a", "GetA, GetB"),
        base("b0000000-0000-4000-8000-000000000000", "b", "GetC, GetD")
    );
    RuleSet::from_sources(&[("c.yml".into(), text)]).unwrap_or_else(|e| panic!("{e}"))
}

/// One record: (group, burst, seconds into the burst, event name index).
type Rec = (usize, usize, i64, usize);

fn record(i: usize, r: &Rec) -> Value {
    let (g, b, off, name) = *r;
    // Bursts start 3 timespans apart, so they are more than two apart.
    let t = T0 + (b as i64) * 3 * SPAN_S + off;
    json!({
        "eventID": format!("ev-{i}"),
        "eventTime": chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "eventSource": "test.amazonaws.com",
        "eventName": NAMES[name],
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::123456789012:user/u{g}")},
    })
}

/// Whether one burst's records satisfy the condition: a burst fits in one window, and every
/// condition here has a lower bound, so the whole burst decides.
fn holds(kind: usize, threshold: usize, burst: &[&Rec]) -> bool {
    match kind {
        0 => burst.len() >= threshold,
        1 => burst.iter().map(|r| r.3).collect::<BTreeSet<_>>().len() >= threshold.min(4),
        _ => {
            let a = burst.iter().any(|r| r.3 < 2);
            let b = burst.iter().any(|r| r.3 >= 2);
            a && b
        }
    }
}

fn gz(records: &[Value]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let body = json!({ "Records": records }).to_string();
    enc.write_all(body.as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// (group, burst) of every correlation alert delivered.
fn alerted(deliver: &MemoryDeliver) -> Vec<(usize, usize, f64)> {
    deliver
        .messages()
        .iter()
        .filter_map(|m| serde_json::from_str::<Value>(&m.body).ok())
        .filter_map(|v| {
            let c = v.get("correlation")?;
            let arn = c["group"]["userIdentity.arn"].as_str()?;
            let g: usize = arn.rsplit("/u").next()?.parse().ok()?;
            let t = chrono::DateTime::parse_from_rfc3339(c["last_event_time"].as_str()?).ok()?;
            let b = ((t.timestamp() - T0) / (3 * SPAN_S)) as usize;
            Some((g, b, c["measure"].as_f64()?))
        })
        .collect()
}

fn scenario() -> impl Strategy<Value = (usize, usize, Vec<Rec>, Vec<usize>, Vec<bool>, u64)> {
    (0usize..3, 2usize..6, 1usize..4, 1usize..4).prop_flat_map(
        |(kind, threshold, groups, bursts)| {
            let rec = (0..groups, 0..bursts, 0..=SPAN_S, 0..NAMES.len());
            (
                Just(kind),
                Just(threshold),
                prop::collection::vec(rec, 1..40),
                prop::collection::vec(0usize..6, 40),
                prop::collection::vec(any::<bool>(), 6),
                any::<u64>(),
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("CORRELATION_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_order_split_and_repeat_alerts_like_one_sorted_pass(
        (kind, threshold, recs, file_of, twice, seed) in scenario()
    ) {
        let rules = Arc::new(rules(kind, threshold));
        let records: Vec<Value> = recs.iter().enumerate().map(|(i, r)| record(i, r)).collect();
        // What one sorted pass over the bursts must give.
        let mut want = BTreeSet::new();
        let keys: BTreeSet<(usize, usize)> = recs.iter().map(|r| (r.0, r.1)).collect();
        for (g, b) in keys {
            let burst: Vec<&Rec> = recs.iter().filter(|r| r.0 == g && r.1 == b).collect();
            if holds(kind, threshold, &burst) {
                want.insert((g, b));
            }
        }
        // Files: records assigned to six files, some delivered twice, in a shuffled order.
        let fetch = Arc::new(MemoryFetch::new());
        let mut objects = Vec::new();
        for (f, &again) in twice.iter().enumerate() {
            let part: Vec<Value> = records.iter().enumerate()
                .filter(|(i, _)| file_of[*i % file_of.len()] == f)
                .map(|(_, r)| r.clone()).collect();
            if part.is_empty() { continue; }
            let object = ObjectRef::S3 { bucket: "b".into(), key: format!("f{f}.json.gz") };
            fetch.put(&object, gz(&part));
            objects.push(object.clone());
            if again { objects.push(object); }
        }
        let mut rng = seed;
        for i in (1..objects.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            objects.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let store = Arc::new(MemoryStore::new(std::time::Duration::from_secs(86_400)));
        let deliver = Arc::new(MemoryDeliver::new());
        let settings = Settings {
            plan: PlanSettings { form: Form::Json, ..PlanSettings::default() },
            correlation: CorrelationSettings {
                lateness: std::time::Duration::from_secs(30 * 86_400),
                clock: Clock::EventTime,
            },
            ..Settings::default()
        };
        // One sorted pass: every record in eventTime order, in one file, one scan.
        let mut sorted = records.clone();
        sorted.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
        let all = ObjectRef::S3 { bucket: "b".into(), key: "sorted.json.gz".into() };
        fetch.put(&all, gz(&sorted));
        let one_pass = Arc::new(MemoryDeliver::new());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let p = Pipeline::new(fetch.clone(), one_pass.clone(), rules.clone(), settings.clone());
            p.summarise(std::slice::from_ref(&all)).await;
            // Three concurrent scans share the store, each with its own part of the list.
            let parts: Vec<Vec<ObjectRef>> = (0..3)
                .map(|k| objects.iter().skip(k).step_by(3).cloned().collect())
                .collect();
            let pipelines: Vec<Pipeline> = (0..3).map(|k| {
                Pipeline::new(fetch.clone(), deliver.clone(), rules.clone(), settings.clone())
                    .state(store.clone(), format!("scan-{k}"))
            }).collect();
            let scans = pipelines.iter().zip(&parts).map(|(p, mine)| p.summarise(mine));
            for summary in futures::future::join_all(scans).await {
                assert!(summary.failed.is_empty(), "{:?}", summary.failed);
            }
        });
        let got = alerted(&deliver);
        let got_set: BTreeSet<(usize, usize)> = got.iter().map(|(g, b, _)| (*g, *b)).collect();
        prop_assert_eq!(got.len(), got_set.len(), "one alert per (group, burst): {:?}", got);
        let sorted_set: BTreeSet<(usize, usize)> =
            alerted(&one_pass).iter().map(|(g, b, _)| (*g, *b)).collect();
        prop_assert_eq!(&sorted_set, &want, "the sorted pass");
        prop_assert_eq!(&got_set, &sorted_set, "shuffled, split, repeated, concurrent");
        // Duplicates never change a count: no measure exceeds the burst's distinct records.
        for (g, b, measure) in got {
            let distinct = recs.iter().filter(|r| r.0 == g && r.1 == b).count();
            prop_assert!(measure <= distinct as f64, "measure {} over {} records", measure, distinct);
        }
    }
}
