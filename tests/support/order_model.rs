//! The order-independence guarantee of correlation rules as a model both `tests/correlate_order.rs`
//! (proptest) and `fuzz/fuzz_targets/correlation.rs` (libFuzzer) drive: records of several groups,
//! in bursts more than two timespans apart, split into files, delivered in any order, some twice,
//! through three concurrent scans sharing one in-memory store, raise the same
//! (correlation, group, burst) alerts as one sorted pass over the same records, and as the bursts
//! themselves decide.
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};
use trailwatch::correlate::{Clock, CorrelationSettings};
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings};
use trailwatch::plan::{Form, PlanSettings};
use trailwatch::rules::RuleSet;
use trailwatch::state::MemoryStore;

pub const SPAN_S: i64 = 600;
const T0: i64 = 1_795_000_000;
pub const NAMES: &[&str] = &["GetA", "GetB", "GetC", "GetD"];
/// Correlation kinds: `event_count`, `value_count`, `temporal`.
pub const KINDS: usize = 3;
/// Files the records are split into.
pub const FILES: usize = 6;

/// The rules: `GetA`/`GetB` (rule a) and `GetC`/`GetD` (rule b), and one correlation of `kind`
/// over both.
pub fn rules(kind: usize, threshold: usize) -> RuleSet {
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
pub type Rec = (usize, usize, i64, usize);

/// A generated case: the correlation, its records, and how they are split and delivered.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Index into [`KINDS`].
    pub kind: usize,
    /// The `event_count` threshold (`value_count` caps it at 4).
    pub threshold: usize,
    /// The records.
    pub recs: Vec<Rec>,
    /// The file (below [`FILES`]) of record `i` is `file_of[i % len]`.
    pub file_of: Vec<usize>,
    /// Which files are delivered twice.
    pub twice: Vec<bool>,
    /// Seeds the shuffle of deliveries.
    pub seed: u64,
}

fn record(i: usize, r: &Rec) -> Value {
    let (g, b, off, name) = *r;
    // Bursts start 3 timespans apart, so they are more than two apart.
    let t = T0 + (b as i64) * 3 * SPAN_S + off;
    let time = chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    json!({
        "eventID": format!("ev-{i}"),
        "eventTime": time,
        "eventSource": "test.amazonaws.com",
        "eventName": NAMES[name % NAMES.len()],
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::123456789012:user/u{g}")},
    })
}

/// An object body: plain JSON, as the decoder takes it alongside gzip.
fn body(records: &[Value]) -> Vec<u8> {
    json!({ "Records": records }).to_string().into_bytes()
}

/// (group, burst, measure) of every correlation alert delivered.
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

fn settings() -> Settings {
    Settings {
        plan: PlanSettings {
            form: Form::Json,
            ..PlanSettings::default()
        },
        correlation: CorrelationSettings {
            lateness: std::time::Duration::from_secs(30 * 86_400),
            clock: Clock::EventTime,
        },
        ..Settings::default()
    }
}

impl Scenario {
    /// Whether one burst's records satisfy the condition: a burst fits in one window, and every
    /// condition here has a lower bound, so the whole burst decides.
    fn holds(&self, burst: &[&Rec]) -> bool {
        match self.kind {
            0 => burst.len() >= self.threshold,
            1 => burst.iter().map(|r| r.3).collect::<BTreeSet<_>>().len() >= self.threshold.min(4),
            _ => burst.iter().any(|r| r.3 < 2) && burst.iter().any(|r| r.3 >= 2),
        }
    }

    /// The (group, burst) pairs that must alert.
    fn wanted(&self) -> BTreeSet<(usize, usize)> {
        let keys: BTreeSet<(usize, usize)> = self.recs.iter().map(|r| (r.0, r.1)).collect();
        keys.into_iter()
            .filter(|&(g, b)| {
                let burst: Vec<&Rec> = self.recs.iter().filter(|r| r.0 == g && r.1 == b).collect();
                self.holds(&burst)
            })
            .collect()
    }

    /// Runs the scenario with `rules` (from [`rules`] for its kind and threshold) and checks the
    /// guarantee; the error says what differed.
    pub fn check(
        &self,
        rules: Arc<RuleSet>,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<(), String> {
        let records: Vec<Value> = self
            .recs
            .iter()
            .enumerate()
            .map(|(i, r)| record(i, r))
            .collect();
        let fetch = Arc::new(MemoryFetch::new());
        let mut objects = Vec::new();
        for (f, &again) in self.twice.iter().enumerate() {
            let part: Vec<Value> = records
                .iter()
                .enumerate()
                .filter(|(i, _)| self.file_of[*i % self.file_of.len()] == f)
                .map(|(_, r)| r.clone())
                .collect();
            if part.is_empty() {
                continue;
            }
            let object = ObjectRef::S3 {
                bucket: "b".into(),
                key: format!("f{f}.json"),
            };
            fetch.put(&object, body(&part));
            objects.push(object.clone());
            if again {
                objects.push(object);
            }
        }
        let mut rng = self.seed;
        for i in (1..objects.len()).rev() {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            objects.swap(i, (rng >> 33) as usize % (i + 1));
        }
        // One sorted pass: every record in eventTime order, in one file, one scan.
        let mut sorted = records.clone();
        sorted.sort_by(|a, b| a["eventTime"].as_str().cmp(&b["eventTime"].as_str()));
        let all = ObjectRef::S3 {
            bucket: "b".into(),
            key: "sorted.json".into(),
        };
        fetch.put(&all, body(&sorted));
        let store = Arc::new(MemoryStore::new(std::time::Duration::from_secs(86_400)));
        let (deliver, one_pass) = (
            Arc::new(MemoryDeliver::new()),
            Arc::new(MemoryDeliver::new()),
        );
        let failed = runtime.block_on(async {
            let p = Pipeline::new(fetch.clone(), one_pass.clone(), rules.clone(), settings());
            p.summarise(std::slice::from_ref(&all)).await;
            // Three concurrent scans share the store, each with its own part of the list.
            let parts: Vec<Vec<ObjectRef>> = (0..3)
                .map(|k| objects.iter().skip(k).step_by(3).cloned().collect())
                .collect();
            let pipelines: Vec<Pipeline> = (0..3)
                .map(|k| {
                    Pipeline::new(fetch.clone(), deliver.clone(), rules.clone(), settings())
                        .state(store.clone(), format!("scan-{k}"))
                })
                .collect();
            let scans = pipelines
                .iter()
                .zip(&parts)
                .map(|(p, mine)| p.summarise(mine));
            let summaries = futures::future::join_all(scans).await;
            summaries
                .into_iter()
                .flat_map(|s| s.failed)
                .collect::<Vec<_>>()
        });
        if !failed.is_empty() {
            return Err(format!("scans failed: {failed:?}"));
        }
        let want = self.wanted();
        let got = alerted(&deliver);
        let got_set: BTreeSet<(usize, usize)> = got.iter().map(|(g, b, _)| (*g, *b)).collect();
        let sorted_set: BTreeSet<(usize, usize)> = alerted(&one_pass)
            .iter()
            .map(|(g, b, _)| (*g, *b))
            .collect();
        if got.len() != got_set.len() {
            return Err(format!("more than one alert per (group, burst): {got:?}"));
        }
        if sorted_set != want {
            return Err(format!(
                "the sorted pass alerted {sorted_set:?}, the bursts want {want:?}"
            ));
        }
        if got_set != sorted_set {
            return Err(format!(
                "shuffled, split, repeated, concurrent scans alerted {got_set:?}, one sorted pass {sorted_set:?}"
            ));
        }
        // Duplicates never change a count: no measure exceeds the burst's distinct records.
        for (g, b, measure) in got {
            let distinct = self.recs.iter().filter(|r| r.0 == g && r.1 == b).count();
            if measure > distinct as f64 {
                return Err(format!(
                    "measure {measure} over {distinct} records in ({g}, {b})"
                ));
            }
        }
        Ok(())
    }
}
