//! The moto harness itself, with no trailwatch code involved: if these fail, the end-to-end
//! tests' failures say nothing about trailwatch.
mod support;

use std::net::TcpStream;
use std::time::Duration;

use support::{Aws, Moto};

#[tokio::test]
async fn s3_round_trip_at_a_key_with_a_space() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let world = support::demo_world(&aws).await;
    assert!(world.key.contains("_demo trail.json.gz"), "{}", world.key);

    let got = aws
        .s3
        .get_object()
        .bucket(support::DEMO_BUCKET)
        .key(&world.key)
        .send()
        .await
        .expect("get object");
    let body = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(body.as_ref(), support::demo_trail_gz().as_slice());
}

#[test]
fn fixtures_agree_with_each_other() {
    let event = support::s3_put_event();
    let object = &event["Records"][0]["s3"]["object"];
    let gz = support::demo_trail_gz();
    assert_eq!(object["size"].as_u64(), Some(gz.len() as u64));
    assert!(object["key"]
        .as_str()
        .unwrap_or_default()
        .contains("demo+trail"));

    let plain = std::fs::read(support::repo_path("events/trail/demo-trail.json")).expect("plain");
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gz.as_slice()),
        &mut unzipped,
    )
    .expect("gunzip");
    assert_eq!(unzipped, plain);

    let trail: serde_json::Value = serde_json::from_slice(&plain).expect("trail JSON");
    let roots: Vec<_> = trail["Records"]
        .as_array()
        .expect("Records")
        .iter()
        .filter(|r| r["eventName"] == "RebootInstance" && r["userIdentity"]["type"] == "Root")
        .collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0]["eventID"], support::ROOT_REBOOT_EVENT_ID);
}

#[tokio::test]
async fn sns_delivers_raw_and_enveloped_to_sqs() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let topic = aws.create_topic("alerts", false).await;
    let raw = aws.subscribe_queue(&topic, "raw", true, None).await;
    let wrapped = aws.subscribe_queue(&topic, "wrapped", false, None).await;

    aws.sns
        .publish()
        .topic_arn(&topic)
        .subject("[HIGH] Root rebooted a Lightsail instance")
        .message(r#"{"rule":{"id":"x"}}"#)
        .send()
        .await
        .expect("publish");

    let raw_msgs = aws.receive_json(&raw).await;
    assert_eq!(raw_msgs, vec![serde_json::json!({"rule": {"id": "x"}})]);

    let wrapped_msgs = aws.receive_json(&wrapped).await;
    assert_eq!(wrapped_msgs.len(), 1);
    assert_eq!(wrapped_msgs[0]["Type"], "Notification");
    assert_eq!(
        wrapped_msgs[0]["Subject"],
        "[HIGH] Root rebooted a Lightsail instance"
    );
    assert_eq!(wrapped_msgs[0]["Message"], r#"{"rule":{"id":"x"}}"#);

    assert!(aws.receive_json(&raw).await.is_empty(), "queue drained");
}

#[tokio::test]
async fn filter_policy_and_fifo_topics() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let topic = aws.create_topic("alerts", false).await;
    let high_only = aws
        .subscribe_queue(
            &topic,
            "high",
            true,
            Some(r#"{"level":["high","critical"]}"#),
        )
        .await;
    for level in ["low", "high"] {
        aws.sns
            .publish()
            .topic_arn(&topic)
            .message(format!(r#"{{"level":"{level}"}}"#))
            .message_attributes(
                "level",
                aws_sdk_sns::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(level)
                    .build()
                    .expect("attribute"),
            )
            .send()
            .await
            .expect("publish");
    }
    let got = aws.receive_all(&high_only, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some(r#"{"level":"high"}"#));
    assert_eq!(
        support::string_attributes(&got[0])
            .get("level")
            .map(String::as_str),
        Some("high")
    );

    let fifo = aws.create_topic("alerts", true).await;
    assert!(fifo.ends_with(".fifo"), "{fifo}");
    let fifo_queue = aws.subscribe_queue(&fifo, "ordered", true, None).await;
    aws.sns
        .publish()
        .topic_arn(&fifo)
        .message("first")
        .message_group_id("acct-123456789012")
        .send()
        .await
        .expect("publish fifo");
    let got = aws.receive_all(&fifo_queue, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some("first"));
}

#[test]
fn moto_stops_on_drop() {
    let moto = Moto::start();
    let port = moto.port;
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(moto);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "moto_server still listening on {port} after drop"
    );
}
