//! Claims ahead: while one batch is published, the next ones are already being claimed, so
//! the state table's round trips overlap the sends; the batches still go out in order.

#[path = "support/gz.rs"]
mod gz;
#[path = "support/spy.rs"]
mod spy;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use spy::Spy;
use trailwatch::deliver::{Deliver, DeliverError, MemoryDeliver};
use trailwatch::fetch::{MemoryFetch, ObjectRef};
use trailwatch::pipeline::{Pipeline, Settings};
use trailwatch::plan::{Batch, Form, PlanSettings};
use trailwatch::rules::RuleSet;

const RULE: &str = "title: delete
id: 5e1f0c2a-0000-4000-8000-0000000000a1
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  s:
    eventName|startswith: Delete
  condition: s
";

/// A publish that waits until the store has been asked for more claims than batches sent so
/// far (the next batch claimed during this publish), or gives up after a while.
struct Waiting {
    recorder: Arc<MemoryDeliver>,
    store: Arc<Spy>,
    sent: AtomicUsize,
    overlapped: AtomicUsize,
}

#[async_trait]
impl Deliver for Waiting {
    async fn send(&self, batch: &Batch) -> Result<(), DeliverError> {
        let sent = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        for _ in 0..100 {
            if self.store.claims.load(Ordering::SeqCst) > sent {
                self.overlapped.fetch_add(1, Ordering::SeqCst);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.recorder.send(batch).await
    }
}

/// Forty deletes with distinct eventIDs: with every match its own alert, four batches of ten.
fn object() -> (ObjectRef, Vec<u8>) {
    let records: Vec<Value> = (0..40)
        .map(|i| {
            json!({"eventID": format!("ahead-{i:02}"), "eventTime": "2026-11-25T10:00:00Z",
                   "eventSource": "lightsail.amazonaws.com", "eventName": "DeleteInstance"})
        })
        .collect();
    gz::trail_object("ahead.json.gz", records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_batch_is_claimed_while_one_is_published_and_order_is_kept() {
    let fetch = Arc::new(MemoryFetch::new());
    let (object, bytes) = object();
    fetch.put(&object, bytes);
    let store = Arc::new(Spy::default());
    let recorder = Arc::new(MemoryDeliver::new());
    let deliver = Arc::new(Waiting {
        recorder: recorder.clone(),
        store: store.clone(),
        sent: AtomicUsize::new(0),
        overlapped: AtomicUsize::new(0),
    });
    let rules = RuleSet::from_sources(&[("r.yml".into(), RULE.into())]).expect("rules");
    let settings = Settings {
        plan: PlanSettings {
            form: Form::Json,
            every_match: true,
            ..PlanSettings::default()
        },
        ..Settings::default()
    };
    let p = Pipeline::new(fetch, deliver.clone(), Arc::new(rules), settings).state(store, "w");
    let summary = p.summarise(std::slice::from_ref(&object)).await;
    assert!(summary.failed.is_empty(), "{:?}", summary.failed);
    let ids: Vec<String> = recorder
        .messages()
        .into_iter()
        .filter_map(|m| m.event_id)
        .collect();
    let expected: Vec<String> = (0..40).map(|i| format!("ahead-{i:02}")).collect();
    assert_eq!(ids, expected, "every alert once, in the order read");
    // Each publish but the last saw the next batch claimed while it was in flight.
    assert_eq!(deliver.overlapped.load(Ordering::SeqCst), 3);
}
