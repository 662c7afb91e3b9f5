//! Rules kept in S3 are reloaded after the refresh window, and a broken upload never replaces
//! the rules in force. Runs against moto.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::{Aws, Moto};
use trailwatch::config::Settings;
use trailwatch::handler::Handler;
use trailwatch::rules_source::{self, S3Uri};

const BUCKET: &str = "trail-and-rules";
const KEY: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1005Z_r.json.gz";

fn rule(event_name: &str) -> String {
    format!(
        "title: Lightsail {event_name}\nid: 0c8e4f5a-1111-4222-8333-{:012}\nlevel: high\n\
         logsource: {{product: aws, service: cloudtrail}}\ndetection:\n  selection:\n    \
         eventSource: lightsail.amazonaws.com\n    eventName: {event_name}\n  condition: selection\n",
        event_name.len()
    )
}

fn trail() -> Vec<u8> {
    let record = |name: &str, id: &str| {
        json!({"eventVersion": "1.08", "eventTime": "2026-11-25T10:01:00Z", "eventSource": "lightsail.amazonaws.com",
               "eventName": name, "awsRegion": "us-east-1", "eventID": id,
               "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ops"}})
    };
    let body = json!({"Records": [record("RebootInstance", "e-reboot"), record("StopInstance", "e-stop")]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(body.to_string().as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn s3_event() -> Value {
    json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": BUCKET}, "object": {"key": KEY}}}]})
}

async fn alerted_event_ids(handler: &Handler, aws: &Aws, queue: &str) -> Vec<String> {
    handler
        .handle(s3_event())
        .await
        .expect("invocation succeeds");
    let mut ids: Vec<String> = aws
        .receive_json(queue)
        .await
        .iter()
        .filter_map(|a| a["event"]["eventID"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_rules_take_effect_after_the_window_and_broken_ones_never_do() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let aws = Aws::new(&sdk);
    aws.create_bucket(BUCKET).await;
    aws.put_object(BUCKET, KEY, trail()).await;
    aws.put_object(
        BUCKET,
        "rules/lightsail.yml",
        rule("RebootInstance").into_bytes(),
    )
    .await;
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts", true, None).await;

    let uri = S3Uri::parse(&format!("s3://{BUCKET}/rules/")).unwrap();
    let (rules, _) =
        rules_source::load_s3(&aws_sdk_s3::Client::new(&sdk), &uri, &Default::default())
            .await
            .expect("rules load");
    let mut settings = Settings::new(topic, Arc::new(rules));
    settings.rules_s3 = Some(uri);
    settings.rules_refresh = Duration::from_millis(300);
    let handler = Handler::aws(&sdk, settings);

    assert_eq!(
        alerted_event_ids(&handler, &aws, &queue).await,
        ["e-reboot"]
    );

    aws.put_object(
        BUCKET,
        "rules/lightsail.yml",
        rule("StopInstance").into_bytes(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        alerted_event_ids(&handler, &aws, &queue).await,
        ["e-stop"],
        "edited rule in force"
    );

    aws.put_object(BUCKET, "rules/broken.yml", b"title: [unclosed\n".to_vec())
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The StopInstance rule still matches: e-stop is found again, and counted as already
    // alerted rather than sent twice.
    let again = handler
        .handle(s3_event())
        .await
        .expect("invocation succeeds");
    assert_eq!(
        (again.summary.alerts, again.summary.already_alerted),
        (0, 1),
        "broken set rejected: {:?}",
        again.summary
    );
    assert!(aws.receive_json(&queue).await.is_empty(), "sent once only");
}
