//! S3 and SNS failing mid-invocation, against moto with faults injected by a small HTTP proxy
//! between the SDK and moto: error responses (5xx, throttling), dropped connections, and stalls
//! (no answer, or a body that stops halfway). Each case shows the function's failure contract:
//! what the SDK retries, what fails the invocation so Lambda retries it, and what reaches SNS.
//! The FIFO no-redelivery case is in `alerts_sns.rs`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use serde_json::{json, Value};
use support::{Aws, Moto};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use trailwatch::config::Settings;
use trailwatch::handler::{Handler, HandlerError};
use trailwatch::rules::RuleSet;

/// What the proxy does to a request it matches.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// An AWS error response with this status and code.
    Error { status: u16, code: &'static str },
    /// The connection closes without a response.
    Drop,
    /// No response, ever.
    Stall,
    /// The response's headers and half its body, then nothing.
    StallBody,
}

/// Applies `fault` to the requests containing `needle`, after letting `pass` of them through,
/// `times` times.
#[derive(Debug, Clone)]
struct Plan {
    needle: &'static str,
    pass: usize,
    times: usize,
    fault: Fault,
}

const GET_OBJECT: &str = "x-id=GetObject";
const PUBLISH_BATCH: &str = "Action=PublishBatch";

struct FaultProxy {
    endpoint: String,
    plans: Arc<Mutex<Vec<Plan>>>,
    /// Requests seen per needle of any plan ever set, faulted or not.
    seen: Arc<Mutex<Vec<(&'static str, usize)>>>,
}

impl FaultProxy {
    async fn start(upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = FaultProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            plans: Arc::default(),
            seen: Arc::default(),
        };
        let (plans, seen) = (proxy.plans.clone(), proxy.seen.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (plans, seen) = (plans.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = serve(client, upstream, plans, seen).await;
                });
            }
        });
        proxy
    }

    fn plan(&self, plan: Plan) {
        let mut seen = self.seen.lock().unwrap();
        if !seen.iter().any(|(n, _)| *n == plan.needle) {
            seen.push((plan.needle, 0));
        }
        self.plans.lock().unwrap().push(plan);
    }

    fn heal(&self) {
        self.plans.lock().unwrap().clear();
    }

    fn seen(&self, needle: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .find(|(n, _)| *n == needle)
            .map_or(0, |(_, c)| *c)
    }
}

/// The fault for this request, if a plan matches and has faults left.
fn fault_for(
    text: &str,
    plans: &Mutex<Vec<Plan>>,
    seen: &Mutex<Vec<(&'static str, usize)>>,
) -> Option<Fault> {
    for (needle, count) in seen.lock().unwrap().iter_mut() {
        if text.contains(*needle) {
            *count += 1;
        }
    }
    let mut plans = plans.lock().unwrap();
    let plan = plans
        .iter_mut()
        .find(|p| text.contains(p.needle) && (p.pass > 0 || p.times > 0))?;
    if plan.pass > 0 {
        plan.pass -= 1;
        return None;
    }
    plan.times -= 1;
    Some(plan.fault)
}

fn error_response(status: u16, code: &str, query_api: bool) -> String {
    let xml = if query_api {
        format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>f</RequestId></ErrorResponse>")
    } else {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message><RequestId>f</RequestId></Error>")
    };
    format!(
        "HTTP/1.1 {status} Injected\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{xml}",
        xml.len()
    )
}

/// Reads one request, applies the fault if one matches, else forwards it with
/// `Connection: close` and relays the answer.
async fn serve(
    mut client: TcpStream,
    upstream: u16,
    plans: Arc<Mutex<Vec<Plan>>>,
    seen: Arc<Mutex<Vec<(&'static str, usize)>>>,
) -> std::io::Result<()> {
    let Some(request) = support::http::read_request(&mut client).await? else {
        return Ok(());
    };
    let text = format!("{}{}", request.head, String::from_utf8_lossy(&request.body));
    let fault = fault_for(&text, &plans, &seen);
    match fault {
        Some(Fault::Error { status, code }) => {
            let resp = error_response(status, code, text.contains("Action="));
            return client.write_all(resp.as_bytes()).await;
        }
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::Stall) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Some(Fault::StallBody) | None => {}
    }
    let response = support::http::forward(upstream, &request).await?;
    if matches!(fault, Some(Fault::StallBody)) {
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(response.len(), |i| i + 4);
        let half = split + (response.len() - split) / 2;
        client.write_all(&response[..half]).await?;
        client.flush().await?;
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return Ok(());
    }
    client.write_all(&response).await
}

/// The SDK through the proxy, with the standard retry mode (3 attempts) and short backoff.
async fn sdk_via(moto: &Moto, endpoint: &str) -> SdkConfig {
    moto.sdk_config()
        .await
        .into_builder()
        .endpoint_url(endpoint)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .build()
}

const BUCKET: &str = "trail";
const RULE: &str = "title: Reboot\nid: 6b0d1c2e-0000-4000-8000-00000000f417\nlevel: high\n\
    logsource: {product: aws, service: cloudtrail}\ndetection:\n  selection:\n    \
    eventSource: lightsail.amazonaws.com\n    eventName: RebootInstance\n  condition: selection\n";

fn key(name: &str) -> String {
    format!("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T0310Z_{name}.json.gz")
}

/// A delivery of `n` matching records with event ids `{prefix}-{i}`.
fn delivery(prefix: &str, n: usize) -> Vec<u8> {
    use std::io::Write;
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"eventSource": "lightsail.amazonaws.com", "eventName": "RebootInstance",
                   "eventID": format!("{prefix}-{i:02}"), "awsRegion": "us-east-1",
                   "recipientAccountId": "123456789012", "eventTime": "2026-11-25T03:05:00Z"})
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(json!({ "Records": records }).to_string().as_bytes())
        .unwrap();
    gz.finish().unwrap()
}

fn s3_record(key: &str) -> Value {
    json!({"eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
           "eventTime": "2026-11-25T03:10:00.000Z",
           "s3": {"bucket": {"name": BUCKET}, "object": {"key": key}}})
}

fn s3_event(keys: &[&str]) -> Value {
    json!({ "Records": keys.iter().map(|k| s3_record(k)).collect::<Vec<_>>() })
}

struct World {
    _moto: Moto,
    aws: Aws,
    proxy: FaultProxy,
    topic: String,
    queue: String,
    handler: Handler,
}

/// moto with a bucket holding `objects` (name, record count), a standard topic with a raw
/// queue on it, and a handler whose S3 and SNS clients go through the fault proxy.
async fn world(objects: &[(&str, usize)], object_timeout: Duration) -> World {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config().await);
    let proxy = FaultProxy::start(moto.port).await;
    aws.create_bucket(BUCKET).await;
    for (name, n) in objects {
        aws.put_object(BUCKET, &key(name), delivery(name, *n)).await;
    }
    let topic = aws.create_topic("alerts", false).await;
    let queue = aws.subscribe_queue(&topic, "alerts", true, None).await;
    let rules = RuleSet::from_sources(&[("reboot.yml".into(), RULE.into())]).unwrap();
    let mut settings = Settings::new(topic.clone(), Arc::new(rules));
    settings.max_alerts_per_rule_per_object = 100;
    settings.object_timeout = object_timeout;
    let handler = Handler::aws(&sdk_via(&moto, &proxy.endpoint).await, settings);
    World {
        _moto: moto,
        aws,
        proxy,
        topic,
        queue,
        handler,
    }
}

/// Event ids of everything delivered to the queue so far, sorted, duplicates kept.
async fn delivered(w: &World) -> Vec<String> {
    let mut ids: Vec<String> = w
        .aws
        .receive_json(&w.queue)
        .await
        .iter()
        .map(|m| m["event"]["eventID"].as_str().unwrap_or("?").to_string())
        .collect();
    ids.sort();
    ids
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:02}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_get_object_failing_transiently_is_retried_and_succeeds() {
    let w = world(&[("a", 3)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Error {
            status: 503,
            code: "SlowDown",
        },
    });
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Error {
            status: 500,
            code: "InternalError",
        },
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(w.proxy.seen(GET_OBJECT), 3, "two failures, then success");
    assert_eq!(delivered(&w).await, ids("a", 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_dropped_connection_is_retried_and_succeeds() {
    let w = world(&[("a", 2)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: GET_OBJECT,
        pass: 0,
        times: 1,
        fault: Fault::Drop,
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(delivered(&w).await, ids("a", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_failing_persistently_is_a_retryable_error_naming_the_object() {
    let w = world(&[("a", 1), ("b", 1)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: "_a.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Error {
            status: 500,
            code: "InternalError",
        },
    });
    let err = w
        .handler
        .handle(s3_event(&[&key("a"), &key("b")]))
        .await
        .expect_err("the invocation fails so Lambda retries it");
    assert!(
        matches!(err, HandlerError::Retryable { count: 1, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("s3://{BUCKET}/{}", key("a"))) && text.contains("InternalError"),
        "{text}"
    );
    assert_eq!(w.proxy.seen("_a.json.gz"), 3, "the SDK's three attempts");
    assert_eq!(delivered(&w).await, ids("b", 1), "the other object alerted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_s3_objects_hit_the_object_timeout_not_the_lambda_limit() {
    let w = world(
        &[("headers", 1), ("body", 400), ("ok", 1)],
        Duration::from_secs(2),
    )
    .await;
    w.proxy.plan(Plan {
        needle: "_headers.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Stall,
    });
    w.proxy.plan(Plan {
        needle: "_body.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::StallBody,
    });
    let started = Instant::now();
    let err = w
        .handler
        .handle(s3_event(&[&key("headers"), &key("body"), &key("ok")]))
        .await
        .expect_err("stalled objects are retryable failures");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, HandlerError::Retryable { count: 2, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert_eq!(text.matches("OBJECT_TIMEOUT_SECONDS").count(), 2, "{text}");
    assert_eq!(delivered(&w).await, ids("ok", 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_throttling_is_retried_and_every_alert_arrives_once() {
    let w = world(&[("a", 25)], Duration::from_secs(60)).await;
    w.proxy.plan(Plan {
        needle: PUBLISH_BATCH,
        pass: 1,
        times: 2,
        fault: Fault::Error {
            status: 400,
            code: "Throttling",
        },
    });
    let response = w.handler.handle(s3_event(&[&key("a")])).await;
    assert!(response.is_ok(), "{response:?}");
    assert_eq!(
        w.proxy.seen(PUBLISH_BATCH),
        3 + 2,
        "three batches, the second throttled twice"
    );
    assert_eq!(delivered(&w).await, ids("a", 25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_down_halfway_fails_retryably_and_the_retry_loses_nothing_on_a_standard_topic() {
    let w = world(&[("a", 25)], Duration::from_secs(60)).await;
    assert!(!w.topic.ends_with(".fifo"));
    w.proxy.plan(Plan {
        needle: PUBLISH_BATCH,
        pass: 1,
        times: usize::MAX,
        fault: Fault::Error {
            status: 503,
            code: "ServiceUnavailable",
        },
    });
    let event = s3_event(&[&key("a")]);
    let err = w
        .handler
        .handle(event.clone())
        .await
        .expect_err("SNS is down");
    assert!(matches!(err, HandlerError::Retryable { .. }), "{err}");
    let first = delivered(&w).await;
    assert_eq!(
        first,
        ids("a", 10),
        "the first batch went out before SNS failed"
    );

    w.proxy.heal();
    w.handler.handle(event).await.expect("the retry succeeds");
    let mut all = first;
    all.extend(delivered(&w).await);
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, ids("a", 25), "nothing lost (at-least-once)");
    assert!(all.len() >= 25, "{}", all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_batch_reports_objects_unfinished_at_the_deadline_in_batch_item_failures() {
    let w = world(&[("done", 1), ("stuck", 1)], Duration::from_secs(600)).await;
    w.proxy.plan(Plan {
        needle: "_stuck.json.gz",
        pass: 0,
        times: usize::MAX,
        fault: Fault::Stall,
    });
    let message = |id: &str, k: &str| {
        json!({"messageId": id, "receiptHandle": "h", "body": s3_event(&[k]).to_string(),
               "attributes": {}, "messageAttributes": {}, "md5OfBody": "0",
               "eventSource": "aws:sqs", "awsRegion": "us-east-1",
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trail-events"})
    };
    let payload =
        json!({"Records": [message("m-done", &key("done")), message("m-stuck", &key("stuck"))]});
    let started = Instant::now();
    let response = w
        .handler
        .handle_until(payload, Some(Instant::now() + Duration::from_secs(3)))
        .await
        .expect("SQS batches answer per message");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(response.batch_item_failures(), ["m-stuck"]);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-stuck"}]})
    );
    assert_eq!(delivered(&w).await, ids("done", 1));
}
