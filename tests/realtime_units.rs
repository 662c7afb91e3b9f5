//! An SQS batch of EventBridge events is one unit: each event is matched on its own (its
//! alerts name it), and the batch's suppression and correlation verdicts are asked at once,
//! one slice per correlation group instead of one per event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde_json::{json, Value};
use trailwatch::config::Settings;
use trailwatch::correlate::{CorrelationStore, FireRequest, Fired, Slice};
use trailwatch::deliver::{AlertKey, Claim, ClaimStore, MemoryDeliver};
use trailwatch::fetch::MemoryFetch;
use trailwatch::handler::Handler;
use trailwatch::plan::{Kind, Sighting, Suppression};
use trailwatch::rules_source::RuleStore;
use trailwatch::state::{MemoryStore, StateError, DEFAULT_RETENTION};
use trailwatch::verdict::SuppressionStore;

const DENIED_BURST: &str = "5c1719fd-2a53-4848-b09e-d11f20e0cd17";

/// The memory store, counting what the verdicts ask of it; `broken` makes correlation calls
/// fail as a refused request would.
struct Counting {
    store: MemoryStore,
    gathers: Mutex<Vec<Vec<String>>>,
    suppress_calls: Mutex<usize>,
    broken: AtomicBool,
}

impl Default for Counting {
    fn default() -> Self {
        Counting {
            store: MemoryStore::new(DEFAULT_RETENTION),
            gathers: Mutex::default(),
            suppress_calls: Mutex::default(),
            broken: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl ClaimStore for Counting {
    async fn claim(
        &self,
        keys: &[AlertKey],
        owner: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Vec<Claim>, StateError> {
        self.store.claim(keys, owner, now, lease).await
    }

    async fn delivered(&self, k: &[AlertKey], o: &str, t: SystemTime) -> Result<(), StateError> {
        self.store.delivered(k, o, t).await
    }

    async fn release(&self, keys: &[AlertKey], owner: &str) -> Result<(), StateError> {
        self.store.release(keys, owner).await
    }
}

#[async_trait]
impl SuppressionStore for Counting {
    async fn suppress(
        &self,
        s: &[Sighting],
        t: SystemTime,
    ) -> Result<Vec<Suppression>, StateError> {
        *self.suppress_calls.lock().unwrap() += 1;
        self.store.suppress(s, t).await
    }
}

#[async_trait]
impl CorrelationStore for Counting {
    async fn gather(&self, s: &[Slice], t: SystemTime) -> Result<Vec<Vec<Slice>>, StateError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StateError::other("refused"));
        }
        let groups = s.iter().map(|x| x.group.correlation.clone()).collect();
        self.gathers.lock().unwrap().push(groups);
        self.store.gather(s, t).await
    }

    async fn fire(&self, r: &[FireRequest], t: SystemTime) -> Result<Vec<Vec<Fired>>, StateError> {
        self.store.fire(r, t).await
    }
}

/// An SQS batch of `n` EventBridge events, each a Lightsail call by one IAM user denied a
/// few seconds apart, just now.
fn denied_batch(n: usize) -> Value {
    let now = chrono::Utc::now();
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let at = (now - chrono::Duration::seconds(60 - i as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let detail = json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "IAMUser", "principalId": "AIDAQXAMPLEUSER4J7Q2",
                    "arn": "arn:aws:iam::123456789012:user/svc-backup",
                    "accountId": "123456789012", "userName": "svc-backup"},
                "eventTime": at, "eventSource": "lightsail.amazonaws.com",
                "eventName": "CreateInstances", "awsRegion": "us-east-1",
                "sourceIPAddress": "192.0.2.150", "errorCode": "AccessDenied",
                "eventID": format!("d0000000-0000-4000-8000-0000000000{i:02}"),
                "eventType": "AwsApiCall", "recipientAccountId": "123456789012"
            });
            let body = json!({"version": "0", "id": format!("e0000000-0000-4000-8000-0000000000{i:02}"),
                "detail-type": "AWS API Call via CloudTrail", "source": "aws.lightsail",
                "account": "123456789012", "time": at, "region": "us-east-1",
                "resources": [], "detail": detail});
            json!({"messageId": format!("m-{i}"), "receiptHandle": "r",
                "body": body.to_string(), "attributes": {}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trailwatch",
                "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

fn handler(store: Arc<Counting>) -> (Handler, Arc<MemoryDeliver>) {
    let rules = Arc::new(trailwatch::pack::load().expect("bundled rules"));
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new("arn:aws:sns:us-east-1:123456789012:alerts", rules.clone());
    let handler = Handler::new(
        Arc::new(MemoryFetch::new()),
        deliver.clone(),
        RuleStore::fixed(rules),
        &settings,
    )
    .with_state(store);
    (handler, deliver)
}

#[tokio::test]
async fn a_batch_of_ten_denied_calls_is_one_slice_and_one_burst_alert() {
    let store = Arc::new(Counting::default());
    let (handler, deliver) = handler(store.clone());
    let batch = denied_batch(10);
    let response = handler.handle(batch.clone()).await.expect("handled");
    assert!(
        response.batch_item_failures().is_empty(),
        "{:?}",
        response.summary.failed
    );
    assert_eq!(response.summary.events, 10);
    let bursts: Vec<_> = deliver
        .messages()
        .into_iter()
        .filter(|m| m.kind == Kind::Correlation && m.rule_id == DENIED_BURST)
        .collect();
    assert_eq!(bursts.len(), 1, "one burst, one alert");
    // One round of verdicts for the batch: the burst's group is one slice of ten records,
    // where one slice per event made ten.
    let gathers = store.gathers.lock().unwrap().clone();
    let burst_slices: usize = gathers
        .iter()
        .map(|g| g.iter().filter(|c| *c == DENIED_BURST).count())
        .sum();
    assert_eq!(burst_slices, 1, "{gathers:?}");
    assert!(*store.suppress_calls.lock().unwrap() <= 1);

    // The same batch again (SQS redelivers it): nothing new goes out.
    let before = deliver.messages().len();
    let again = handler.handle(batch).await.expect("handled");
    assert!(again.batch_item_failures().is_empty());
    assert_eq!(
        deliver.messages().len(),
        before,
        "a redelivered batch alerts again"
    );
    assert!(again.summary.already_alerted > 0);
}

#[tokio::test]
async fn a_failed_verdict_fails_every_event_of_the_batch() {
    let store = Arc::new(Counting::default());
    store.broken.store(true, Ordering::SeqCst);
    let (handler, _deliver) = handler(store);
    let response = handler.handle(denied_batch(4)).await.expect("handled");
    let mut failed = response.batch_item_failures();
    failed.sort_unstable();
    assert_eq!(
        failed,
        ["m-0", "m-1", "m-2", "m-3"],
        "{:?}",
        response.summary.failed
    );
}
