//! A publish that outlives its claim's lease (1 s here, against 2.5 s a batch) while another
//! worker keeps retrying the same object: the sender keeps its claims alive, so the other never
//! takes them over, and every alert (plain and correlation) is delivered once. A claim taken
//! over during the send stops it: nothing of it is delivered, and the object is retried. A
//! deadline with a publish in flight lets it be marked, so the retry does not send it again.

mod support;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde_json::{json, Value};
use trailwatch::correlate::{
    Clock, CorrelationSettings, CorrelationStore, FireRequest, Fired, Slice, DEFAULT_LATENESS,
};
use trailwatch::deliver::{AlertKey, Claim, ClaimStore, Deliver, DeliverError, MemoryDeliver};
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings, Summary};
use trailwatch::plan::{Batch, Form, PlanSettings, Sighting, Suppression};
use trailwatch::rules::RuleSet;
use trailwatch::state::{DynamoStore, MemoryStore, StateError, StateSettings, StateStore};
use trailwatch::verdict::SuppressionStore;

const LEASE: Duration = Duration::from_secs(1);
const PUBLISH: Duration = Duration::from_millis(2500);
const T0: i64 = 1_795_000_000;

const RULES: &str = "title: delete
id: 5e1f0c2a-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Delete
  condition: s
---
title: read
id: 5e1f0c2a-0000-4000-8000-000000000002
name: read
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Get
  condition: s
---
title: three reads
id: 5e1f0c2a-0000-4000-8000-000000000003
level: medium
correlation:
  type: event_count
  rules: [read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition:
    gte: 3
";

/// A publish that takes `.1`; what it records (in a recorder workers may share) arrived.
struct SlowDeliver(Arc<MemoryDeliver>, Duration);

#[async_trait]
impl Deliver for SlowDeliver {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        tokio::time::sleep(self.1).await;
        self.0.send(batch).await
    }
}

/// Which alerts an object gives.
#[derive(Debug, Clone, Copy)]
enum Alerts {
    /// Three deletes: three alerts.
    Plain,
    /// Four reads by one principal: one correlation alert.
    Correlation,
    Both,
}

/// Three deletes (three alerts) and four reads by one principal (one correlation alert).
fn object() -> (ObjectRef, Vec<u8>) {
    object_of(Alerts::Both)
}

fn object_of(alerts: Alerts) -> (ObjectRef, Vec<u8>) {
    let record = |i: i64, name: &str| {
        json!({
            "eventID": format!("fence-{i}"),
            "eventTime": chrono::DateTime::from_timestamp(T0 + i * 10, 0).expect("time")
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "eventSource": "lightsail.amazonaws.com",
            "eventName": name,
            "userIdentity": {"arn": "arn:aws:iam::1:user/slow"},
        })
    };
    let deletes = match alerts {
        Alerts::Plain | Alerts::Both => 0..3,
        Alerts::Correlation => 0..0,
    };
    let reads = match alerts {
        Alerts::Correlation | Alerts::Both => 3..7,
        Alerts::Plain => 0..0,
    };
    let records: Vec<Value> = deletes
        .map(|i| record(i, "DeleteInstance"))
        .chain(reads.map(|i| record(i, "GetInstances")))
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let body = json!({ "Records": records }).to_string();
    enc.write_all(body.as_bytes()).expect("gzip");
    let object = ObjectRef::S3 {
        bucket: "b".into(),
        key: "slow.json.gz".into(),
    };
    (object, enc.finish().expect("gzip"))
}

fn pipeline(
    fetch: &Arc<MemoryFetch>,
    deliver: Arc<dyn Deliver>,
    store: Arc<dyn StateStore>,
    owner: &str,
) -> Pipeline {
    let rules = RuleSet::from_sources(&[("r.yml".into(), RULES.into())]).expect("rules");
    let settings = Settings {
        plan: PlanSettings {
            form: Form::Json,
            ..PlanSettings::default()
        },
        state: StateSettings {
            lease: LEASE,
            ..StateSettings::default()
        },
        correlation: CorrelationSettings {
            lateness: DEFAULT_LATENESS,
            clock: Clock::EventTime,
        },
        ..Settings::default()
    };
    Pipeline::new(fetch.clone(), deliver, Arc::new(rules), settings).state(store, owner)
}

/// Scans `object` until it comes out clean, as Lambda retries a failed invocation (quickly
/// here, well inside a publish); every attempt's summary.
async fn until_clean(p: &Pipeline, object: &ObjectRef) -> Vec<Summary> {
    let mut attempts = Vec::new();
    for _ in 0..60 {
        let summary = p.summarise(std::slice::from_ref(object)).await;
        let clean = summary.failed.is_empty();
        attempts.push(summary);
        if clean {
            return attempts;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("the object never came out clean: {:#?}", attempts.last());
}

/// What was delivered, by (rule, identity).
fn sent_by_identity(recorder: &MemoryDeliver) -> HashMap<(String, String), usize> {
    let mut sent: HashMap<(String, String), usize> = HashMap::new();
    for m in recorder.messages() {
        let id = m.event_id.clone().unwrap_or_default();
        *sent.entry((m.rule_id.clone(), id)).or_default() += 1;
    }
    sent
}

/// Worker A publishes slowly (past its lease); worker B, quick, starts on the same object
/// just after and retries it while A's claims hold. Without the fence B takes A's claims over
/// once A's first lease runs out, and sends A's alerts a second time.
async fn race(store: Arc<dyn StateStore>, alerts: Alerts) {
    let fetch = Arc::new(MemoryFetch::new());
    let (object, bytes) = object_of(alerts);
    fetch.put(&object, bytes);
    let recorder = Arc::new(MemoryDeliver::new());
    let slow = Arc::new(SlowDeliver(recorder.clone(), PUBLISH));
    let quick = Arc::new(SlowDeliver(recorder.clone(), Duration::ZERO));
    let a = pipeline(&fetch, slow, store.clone(), "worker-a");
    let b = pipeline(&fetch, quick, store, "worker-b");
    let later = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        until_clean(&b, &object).await
    };
    let (ra, rb) = tokio::join!(until_clean(&a, &object), later);
    let sent = sent_by_identity(&recorder);
    let dup: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "{alerts:?}: sent more than once: {dup:?}");
    let (plain, correlated) = match alerts {
        Alerts::Plain => (3, 0),
        Alerts::Correlation => (0, 1),
        Alerts::Both => (3, 1),
    };
    let got = (
        sent.keys().filter(|(r, _)| r.ends_with("01")).count(),
        sent.keys().filter(|(r, _)| r.ends_with("03")).count(),
    );
    assert_eq!(got, (plain, correlated), "{alerts:?}: {sent:?}");
    assert_eq!(
        ra.len(),
        1,
        "the slow worker held its claims throughout: {ra:#?}"
    );
    assert!(
        rb.len() > 3,
        "the quick worker met held claims again and again, past the first lease: {} attempts",
        rb.len()
    );
}

async fn dynamodb(moto: &support::Moto) -> Arc<dyn StateStore> {
    let client = moto.create_state_table("fence").await;
    Arc::new(DynamoStore::new(client, "fence", Duration::from_secs(3600)))
}

fn memory() -> Arc<dyn StateStore> {
    Arc::new(MemoryStore::new(Duration::from_secs(3600)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_published_past_their_lease_are_not_taken_over_in_memory() {
    race(memory(), Alerts::Plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correlation_published_past_its_lease_is_not_taken_over_in_memory() {
    race(memory(), Alerts::Correlation).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_and_a_correlation_published_past_their_lease_on_dynamodb() {
    let moto = support::Moto::start();
    race(dynamodb(&moto).await, Alerts::Plain).await;
    let moto = support::Moto::start();
    race(dynamodb(&moto).await, Alerts::Correlation).await;
}

/// The memory store, with every claim taken over by an intruder right after it is won (as
/// if this worker had been stalled past its lease): renewals find it lost.
struct Intruded(MemoryStore);

#[async_trait]
impl ClaimStore for Intruded {
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError> {
        let claims = self.0.claim(keys, owner, now, lease).await?;
        if owner != "intruder" {
            // Past this worker's lease: the intruder wins.
            let later = now + lease + Duration::from_millis(1);
            self.0.claim(keys, "intruder", later, lease * 600).await?;
        }
        Ok(claims)
    }

    async fn delivered(&self, k: &[AlertKey], o: &str, t: SystemTime) -> Result<(), StateError> {
        self.0.delivered(k, o, t).await
    }

    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError> {
        self.0.release(keys, owner).await
    }
}

#[async_trait]
impl SuppressionStore for Intruded {
    async fn suppress(
        &self,
        s: &[Sighting],
        t: SystemTime,
    ) -> Result<Vec<Suppression>, StateError> {
        self.0.suppress(s, t).await
    }
}

#[async_trait]
impl CorrelationStore for Intruded {
    async fn gather(&self, s: &[Slice], t: SystemTime) -> Result<Vec<Vec<Slice>>, StateError> {
        self.0.gather(s, t).await
    }

    async fn fire(&self, r: &[FireRequest], t: SystemTime) -> Result<Vec<Vec<Fired>>, StateError> {
        self.0.fire(r, t).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_taken_over_during_its_publish_stops_it() {
    let fetch = Arc::new(MemoryFetch::new());
    let (object, bytes) = object();
    fetch.put(&object, bytes);
    let recorder = Arc::new(MemoryDeliver::new());
    let deliver = Arc::new(SlowDeliver(recorder.clone(), PUBLISH));
    let store = Arc::new(Intruded(MemoryStore::new(Duration::from_secs(3600))));
    let p = pipeline(&fetch, deliver, store, "worker");
    let summary = p.summarise(std::slice::from_ref(&object)).await;
    assert!(
        recorder.messages().is_empty(),
        "a publish went on after its claim was lost: {:?}",
        recorder.messages()
    );
    assert_eq!(summary.failed.len(), 1, "{:#?}", summary.failed);
    assert!(summary.failed[0].retryable, "{:#?}", summary.failed);
    let message = summary.failed[0].error.to_string();
    assert!(message.contains("publish stopped"), "{message}");
}

/// A publish SNS takes at once and answers slowly: stopping it midway leaves it sent.
#[derive(Default)]
struct SlowAnswer(MemoryDeliver);

#[async_trait]
impl Deliver for SlowAnswer {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        self.0.send(batch).await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        Ok(())
    }
}

/// The invocation's deadline falls while SNS is answering a batch it already took: the batch
/// finishes and is marked, so the retry (same request id) skips it instead of sending it again,
/// and sends only what was not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_lets_the_publish_in_flight_be_marked_so_the_retry_skips_it() {
    let fetch = Arc::new(MemoryFetch::new());
    let (object, bytes) = object();
    fetch.put(&object, bytes);
    let deliver = Arc::new(SlowAnswer::default());
    let store: Arc<dyn StateStore> = Arc::new(MemoryStore::new(Duration::from_secs(3600)));
    let stop = std::time::Instant::now() + Duration::from_millis(500);
    let first = pipeline(&fetch, deliver.clone(), store.clone(), "request-1")
        .stop_at(Some(stop))
        .summarise(std::slice::from_ref(&object))
        .await;
    assert!(
        first.failed.iter().any(|f| f.retryable),
        "{:#?}",
        first.failed
    );
    assert!(
        !deliver.0.messages().is_empty(),
        "nothing was in flight at the deadline"
    );
    let retry = pipeline(&fetch, deliver.clone(), store, "request-1");
    until_clean(&retry, &object).await;
    let sent = sent_by_identity(&deliver.0);
    let dup: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "sent again by the retry: {dup:?}");
    assert_eq!(sent.len(), 4, "{sent:?}");
}
