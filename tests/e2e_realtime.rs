//! The real-time path through the real runtime (`cargo lambda watch`/`invoke`) against moto
//! with the state table and a standard topic: one alert per (rule, eventID) whichever path, the
//! EventBridge event or the trail file, sees the record first; and SQS batches of events report
//! exactly their malformed message.
mod support;

use serde_json::Value;
use support::lambda::Watch;
use support::{Aws, Moto, ROOT_REBOOT_EVENT_ID};

const TABLE: &str = "trailwatch-state";
const REALTIME: &str = "events/eventbridge-cloudtrail-api-call.json";
const FILE: &str = "events/s3-put.json";

struct World {
    aws: Aws,
    queue: String,
    watch: Watch,
    logs: tempfile::TempDir,
    _moto: Moto,
}

async fn world() -> World {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let demo = support::demo_world(&aws).await;
    moto.create_state_table(TABLE).await;
    let logs = tempfile::tempdir().expect("tempdir");
    let watch = Watch::start(&moto, &demo.topic_arn, TABLE, logs.path());
    World {
        aws,
        queue: demo.queue_url,
        watch,
        logs,
        _moto: moto,
    }
}

impl World {
    fn invoke(&self, file: &str) -> Value {
        tokio::task::block_in_place(|| self.watch.invoke(file, self.logs.path()))
    }

    async fn alerted(&self) -> Vec<String> {
        self.aws
            .receive_json(&self.queue)
            .await
            .iter()
            .map(|a| a["event"]["eventID"].as_str().unwrap_or("?").to_string())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_first_then_the_file_alerts_once() {
    let w = world().await;
    let live = w.invoke(REALTIME);
    assert_eq!(
        (live["events"].as_u64(), live["alerts"].as_u64()),
        (Some(1), Some(1)),
        "{live:#}"
    );
    assert!(live["last_delivery_ms"].is_u64(), "{live:#}");
    assert_eq!(w.alerted().await, [ROOT_REBOOT_EVENT_ID]);

    let file = w.invoke(FILE);
    assert_eq!(file["events"], 5, "{file:#}");
    assert_eq!(
        file["already_alerted"], 1,
        "counted as alerted through the other path: {file:#}"
    );
    assert_eq!(w.alerted().await, Vec::<String>::new(), "no second alert");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_file_first_then_eventbridge_alerts_once() {
    let w = world().await;
    let file = w.invoke(FILE);
    assert_eq!(file["alerts"], 1, "{file:#}");
    assert_eq!(w.alerted().await, [ROOT_REBOOT_EVENT_ID]);
    let live = w.invoke(REALTIME);
    assert_eq!(live["already_alerted"], 1, "{live:#}");
    assert_eq!(w.alerted().await, Vec::<String>::new(), "no second alert");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sqs_batch_of_ten_events_reports_its_one_malformed_message() {
    let w = world().await;
    let response = w.invoke("events/sqs-eventbridge-cloudtrail.json");
    assert_eq!(
        response,
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "00000000-1111-4222-8333-444455556660"}]}),
    );
    let alerted = w.alerted().await;
    assert!(
        alerted.iter().any(|id| id == ROOT_REBOOT_EVENT_ID),
        "the good events were scanned: {alerted:?}"
    );
}
