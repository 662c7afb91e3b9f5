//! CloudTrail events from EventBridge, with in-memory seams: each `detail` goes through the same
//! match → plan → deliver stages as a record read from a file, directly or in SQS batches.

use std::sync::Arc;

use serde_json::Value;
use trailwatch::config::Settings;
use trailwatch::deliver::MemoryDeliver;
use trailwatch::fetch::MemoryFetch;
use trailwatch::handler::{Handler, HandlerError};
use trailwatch::plan::Kind;
use trailwatch::rules_source::RuleStore;
use trailwatch::trigger::{self, Options, CLOUDTRAIL_DETAIL_TYPES};
use trailwatch::ObjectRef;

const ROOT_REBOOT: &str = "b0070000-0000-4000-8000-000000000007";

fn event(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("JSON")
}

fn handler() -> (Handler, Arc<MemoryDeliver>) {
    let rules = Arc::new(trailwatch::pack::load().expect("bundled rules"));
    let deliver = Arc::new(MemoryDeliver::new());
    let settings = Settings::new("arn:aws:sns:us-east-1:123456789012:alerts", rules.clone());
    let handler = Handler::new(
        Arc::new(MemoryFetch::new()),
        deliver.clone(),
        RuleStore::fixed(rules),
        &settings,
    );
    (handler, deliver)
}

#[test]
fn every_cloudtrail_detail_type_is_one_record_to_match() {
    let samples = [
        "eventbridge-cloudtrail-api-call.json",
        "eventbridge-cloudtrail-console-sign-in.json",
        "eventbridge-cloudtrail-console-action.json",
        "eventbridge-cloudtrail-service-event.json",
        "eventbridge-cloudtrail-insight.json",
    ];
    let mut seen = Vec::new();
    for name in samples {
        let payload = event(name);
        let t =
            trigger::parse(&payload, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let objects: Vec<&ObjectRef> = t.objects().collect();
        assert_eq!(objects.len(), 1, "{name}");
        let ObjectRef::Event {
            id,
            detail_type,
            detail,
        } = objects[0]
        else {
            panic!("{name}: {objects:?}")
        };
        assert_eq!(id, payload["id"].as_str().unwrap());
        let record: Value = serde_json::from_str(detail).unwrap();
        assert_eq!(
            record, payload["detail"],
            "{name}: the detail is the record"
        );
        seen.push(detail_type.clone());
    }
    assert_eq!(seen, CLOUDTRAIL_DETAIL_TYPES);
}

#[tokio::test]
async fn a_root_reboot_from_eventbridge_alerts_once_naming_the_event() {
    let (handler, deliver) = handler();
    let response = handler
        .handle(event("eventbridge-cloudtrail-api-call.json"))
        .await
        .expect("handled");
    assert_eq!((response.summary.events, response.summary.alerts), (1, 1));
    // Latency: eventTime to delivery, and invocation start to the last delivery.
    let lag = response.summary.delivery_lag_seconds.expect("lag measured");
    assert!(lag > 0, "the sample's eventTime is in the past: {lag}");
    let last = response
        .summary
        .last_delivery_ms
        .expect("time to last delivery");
    assert!(
        last <= response.summary.elapsed_ms,
        "{:?}",
        response.summary
    );
    let messages = deliver.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, Kind::Alert);
    assert_eq!(messages[0].event_id.as_deref(), Some(ROOT_REBOOT));
    let doc: Value = serde_json::from_str(&messages[0].body).unwrap();
    let alert: Value = serde_json::from_str(doc["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(
        alert["source"],
        serde_json::json!({"id": "c1a0d7e2-0000-4000-8000-000000000001",
                           "detail-type": "AWS API Call via CloudTrail"})
    );
}

#[tokio::test]
async fn an_sqs_batch_of_ten_reports_exactly_the_malformed_event() {
    let (handler, deliver) = handler();
    let response = handler
        .handle(event("sqs-eventbridge-cloudtrail.json"))
        .await
        .expect("SQS batches never fail whole");
    assert_eq!(
        response.batch_item_failures(),
        ["00000000-1111-4222-8333-444455556660"]
    );
    let failed = &response.summary.failed;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .error
            .contains("c1a0d7e2-0000-4000-8000-000000000010")
            && failed[0].error.contains("AWS API Call via CloudTrail")
            && failed[0].error.contains("not a CloudTrail record"),
        "{failed:?}"
    );
    assert_eq!(response.summary.events, 9);
    let ids: Vec<String> = deliver
        .messages()
        .into_iter()
        .filter_map(|m| m.event_id)
        .collect();
    assert!(ids.contains(&ROOT_REBOOT.to_string()), "{ids:?}");
}

#[tokio::test]
async fn a_direct_event_without_a_record_fails_naming_its_id_and_type() {
    let (handler, _) = handler();
    let mut payload = event("eventbridge-cloudtrail-console-sign-in.json");
    payload["detail"] = serde_json::json!({"eventName": 5});
    let err = handler.handle(payload).await.expect_err("refused");
    assert!(matches!(err, HandlerError::Trigger(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("c1a0d7e2-0000-4000-8000-000000000001")
            && text.contains("AWS Console Sign In via CloudTrail"),
        "{text}"
    );
}
